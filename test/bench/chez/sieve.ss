;; sieve.ss — primes below 1,000,000, twenty times; reference for sieve.omni.
(define (sieve n)
  (let ([flags (make-vector n #t)])
    (let loop ([i 2] [count 0])
      (cond [(= i n) count]
            [(vector-ref flags i)
             (let mark ([j (* i i)])
               (when (< j n) (vector-set! flags j #f) (mark (+ j i))))
             (loop (+ i 1) (+ count 1))]
            [else (loop (+ i 1) count)]))))
(define (run k last total)
  (if (= k 0)
      (begin (display last) (display " ") (display total) (newline))
      (let ([c (sieve 1000000)]) (run (- k 1) c (+ total c)))))
(run 20 0 0)
