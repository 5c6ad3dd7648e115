;; primes.ss — list sieve of 2..2000, 1000 times; reference for primes.omni.
(define (interval-list m n)
  (if (> m n) '() (cons m (interval-list (+ m 1) n))))
(define (remove-multiples p l)
  (cond [(null? l) '()]
        [(= (remainder (car l) p) 0) (remove-multiples p (cdr l))]
        [else (cons (car l) (remove-multiples p (cdr l)))]))
(define (sieve l)
  (if (null? l) '() (cons (car l) (sieve (remove-multiples (car l) (cdr l))))))
(define (run k total last)
  (if (= k 0)
      (begin (display total) (display " ") (display (fold-left + 0 last)) (newline))
      (let ([ps (sieve (interval-list 2 2000))])
        (run (- k 1) (+ total (length ps)) ps))))
(run 1000 0 '())
