;; fib.ss — (fib 35) in Chez Scheme; reference for fib.omni.
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(display (fib 35))
(newline)
