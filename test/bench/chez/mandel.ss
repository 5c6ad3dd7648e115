;; mandel.ss — points of a 1000x1000 grid that stay bounded for 50
;; iterations; same operation order as mandel.c and mandel.omni.
(define size 1000)
(define max-iter 50)
(define step (/ 3.0 size))
(define (escapes? cr ci)
  (let loop ([i 0] [zr 0.0] [zi 0.0])
    (if (= i max-iter)
        #f
        (let ([zr2 (* zr zr)] [zi2 (* zi zi)])
          (if (> (+ zr2 zi2) 4.0)
              #t
              (loop (+ i 1) (+ (- zr2 zi2) cr) (+ (* (* 2.0 zr) zi) ci)))))))
(define (row y count)
  (let ([ci (+ -1.5 (* y step))])
    (let loop ([x 0] [count count])
      (if (= x size)
          count
          (loop (+ x 1) (if (escapes? (+ -2.0 (* x step)) ci) count (+ count 1)))))))
(define (all y count) (if (= y size) count (all (+ y 1) (row y count))))
(display (all 0 0))
(newline)
