;; hofold.ss — higher-order list pipelines; reference for hofold.omni.
(define xs (iota 1000))
(define (pipeline m k)
  (let ([calls 0])
    (let ([sum (fold-left (lambda (acc x) (set! calls (+ calls 1)) (+ acc x))
                          0
                          (map (lambda (x) (* k x)) (filter (lambda (x) (= (remainder x m) 1)) xs)))])
      (+ sum calls))))
(define (run i total)
  (if (= i 50000)
      (begin (display total) (newline))
      (run (+ i 1) (+ total (pipeline (+ 2 (remainder i 7)) (+ 1 (remainder i 5)))))))
(run 0 0)
