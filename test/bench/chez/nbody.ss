;; nbody.ss — n-body, 400,000 steps; reference for nbody.omni.
(define pi 3.141592653589793)
(define solar-mass (* 4.0 pi pi))
(define days-per-year 365.24)
(define (body x y z vx vy vz m)
  (vector x y z (* vx days-per-year) (* vy days-per-year) (* vz days-per-year)
          (* m solar-mass)))
(define start
  (list (body 0.0 0.0 0.0 0.0 0.0 0.0 1.0)
          (body 4.84143144246472090e+00 -1.16032004402742839e+00 -1.03622044471123109e-01
                1.66007664274403694e-03 7.69901118419740425e-03 -6.90460016972063023e-05
                9.54791938424326609e-04)
          (body 8.34336671824457987e+00 4.12479856412430479e+00 -4.03523417114321381e-01
                -2.76742510726862411e-03 4.99852801234917238e-03 2.30417297573763929e-05
                2.85885980666130812e-04)
          (body 1.28943695621391310e+01 -1.51111514016986312e+01 -2.23307578892655734e-01
                2.96460137564761618e-03 2.37847173959480950e-03 -2.96589568540237556e-05
                4.36624404335156298e-05)
          (body 1.53796971148509165e+01 -2.59193146099879641e+01 1.79258772950371181e-01
                2.68067772490389322e-03 1.62824170038242295e-03 -9.51592254519715870e-05
                5.15138902046611451e-05)))
(define (momentum bs k)
  (fold-left (lambda (s b) (+ s (* (vector-ref b k) (vector-ref b 6)))) 0.0 bs))
(define (offset-momentum bs)
  (let ([sun (car bs)])
    (cons (vector (vector-ref sun 0) (vector-ref sun 1) (vector-ref sun 2)
                  (- 0.0 (/ (momentum bs 3) solar-mass))
                  (- 0.0 (/ (momentum bs 4) solar-mass))
                  (- 0.0 (/ (momentum bs 5) solar-mass))
                  (vector-ref sun 6))
          (cdr bs))))
(define (energy bs)
  (let outer ([l bs] [e 0.0])
    (if (null? l)
        e
        (let ([b (car l)])
          (let ([e (+ e (* 0.5 (vector-ref b 6)
                           (+ (* (vector-ref b 3) (vector-ref b 3))
                              (* (vector-ref b 4) (vector-ref b 4))
                              (* (vector-ref b 5) (vector-ref b 5)))))])
            (let inner ([r (cdr l)] [e e])
              (if (null? r)
                  (outer (cdr l) e)
                  (let ([c (car r)])
                    (let ([dx (- (vector-ref b 0) (vector-ref c 0))]
                          [dy (- (vector-ref b 1) (vector-ref c 1))]
                          [dz (- (vector-ref b 2) (vector-ref c 2))])
                      (inner (cdr r)
                             (- e (/ (* (vector-ref b 6) (vector-ref c 6))
                                     (sqrt (+ (* dx dx) (* dy dy) (* dz dz)))))))))))))))
(define (step-body b bs dt)
  (let pull ([l bs] [vx (vector-ref b 3)] [vy (vector-ref b 4)] [vz (vector-ref b 5)])
    (cond [(null? l)
           (vector (+ (vector-ref b 0) (* dt vx)) (+ (vector-ref b 1) (* dt vy))
                   (+ (vector-ref b 2) (* dt vz)) vx vy vz (vector-ref b 6))]
          [(eq? (car l) b) (pull (cdr l) vx vy vz)]
          [else
           (let ([c (car l)])
             (let ([dx (- (vector-ref b 0) (vector-ref c 0))]
                   [dy (- (vector-ref b 1) (vector-ref c 1))]
                   [dz (- (vector-ref b 2) (vector-ref c 2))])
               (let ([d2 (+ (* dx dx) (* dy dy) (* dz dz))])
                 (let ([mc (/ (* dt (vector-ref c 6)) (* d2 (sqrt d2)))])
                   (pull (cdr l) (- vx (* dx mc)) (- vy (* dy mc)) (- vz (* dz mc)))))))])))
(define (advance bs dt)
  (let next ([l bs])
    (if (null? l) '() (cons (step-body (car l) bs dt) (next (cdr l))))))
(define (show-energy e) (display (exact (round (* 1e9 e)))) (newline))
(define (run bs k)
  (if (= k 0) (+ 0.0 (energy bs)) (run (advance bs 0.01) (- k 1))))
(let ([bs (offset-momentum start)])
  (show-energy (energy bs))
  (show-energy (run bs 400000)))
