;; tak.ss — (tak 18 12 6) a thousand times; reference for tak.omni.
(define (tak x y z)
  (if (not (< y x))
      z
      (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y))))
(define (run i sum)
  (if (= i 0) sum (run (- i 1) (+ sum (tak 18 12 6)))))
(display (run 1000 0))
(newline)
