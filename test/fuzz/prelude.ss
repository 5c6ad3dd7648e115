;;; prelude.ss -- R6RS (Chez Scheme) definitions that make a program produced
;;; by test/fuzz/gen.py behave and print exactly as the OmniLisp version does.
;;; gen.py maps OmniLisp built-ins onto these o-... names (see SCHEME_NAMES).
;;; Only what the generator uses is modelled, and only for the argument types
;;; it passes (it never triggers an OmniLisp error).

(define-record-type o-nothing-t (fields))
(define nothing (make-o-nothing-t))

;; growable array: a vector and a fill count
(define-record-type o-arr (fields (mutable vec) (mutable len)))
;; insertion-ordered dict: a list of mutable (key . value) pairs, oldest first
(define-record-type o-dict-t (fields (mutable entries)))
(define-record-type o-atom-t (fields (mutable val)))

(define (o-str-index s ch)
  (let loop ((i 0))
    (cond ((= i (string-length s)) #f)
          ((char=? (string-ref s i) ch) i)
          (else (loop (+ i 1))))))

;; Floats print as Python's repr: shortest round-trip digits, positional when
;; the decimal exponent is in [-4, 16), else d.ddde+XX.
(define (o-fmt-float x)
  (cond
    ((not (= x x)) "nan")
    ((= x +inf.0) "inf")
    ((= x -inf.0) "-inf")
    (else
     (let* ((s0 (number->string x))
            (bar (o-str-index s0 #\|))
            (s1 (if bar (substring s0 0 bar) s0))
            (neg (char=? (string-ref s1 0) #\-))
            (s (if (or neg (char=? (string-ref s1 0) #\+))
                   (substring s1 1 (string-length s1)) s1))
            (epos (o-str-index s #\e))
            (mant (if epos (substring s 0 epos) s))
            (ex (if epos (string->number (substring s (+ epos 1) (string-length s))) 0))
            (dot (o-str-index mant #\.))
            (ip (if dot (substring mant 0 dot) mant))
            (fp (if dot (substring mant (+ dot 1) (string-length mant)) ""))
            (digits (string-append ip fp))
            (point (+ (string-length ip) ex)))
       ;; strip leading zeros (each moves the point) and trailing zeros
       (let strip ((d digits) (p point))
         (if (and (> (string-length d) 0) (char=? (string-ref d 0) #\0))
             (strip (substring d 1 (string-length d)) (- p 1))
             (let trail ((d d))
               (if (and (> (string-length d) 0)
                        (char=? (string-ref d (- (string-length d) 1)) #\0))
                   (trail (substring d 0 (- (string-length d) 1)))
                   (let ((sign (if neg "-" "")))
                     (if (= (string-length d) 0)
                         (string-append sign "0.0")
                         (let ((e (- p 1)) (n (string-length d)))
                           (string-append
                            sign
                            (if (and (>= e -4) (< e 16))
                                (cond ((<= p 0)
                                       (string-append "0." (make-string (- p) #\0) d))
                                      ((>= p n)
                                       (string-append d (make-string (- p n) #\0) ".0"))
                                      (else
                                       (string-append (substring d 0 p) "."
                                                      (substring d p n))))
                                (string-append
                                 (substring d 0 1)
                                 (if (> n 1) (string-append "." (substring d 1 n)) "")
                                 "e" (if (< e 0) "-" "+")
                                 (if (< (abs e) 10) "0" "")
                                 (number->string (abs e))))))))))))))))

(define (o-display-to x p)
  (cond
    ((eq? x nothing) (put-string p "nothing"))
    ((eq? x #t) (put-string p "true"))
    ((eq? x #f) (put-string p "false"))
    ((flonum? x) (put-string p (o-fmt-float x)))
    ((number? x) (put-string p (number->string x)))
    ((string? x) (put-string p x))
    ((char? x) (put-char p x))
    ((symbol? x) (put-string p (symbol->string x)))
    ((null? x) (put-string p "()"))
    ((pair? x)
     (put-string p "(")
     (o-display-to (car x) p)
     (let loop ((r (cdr x)))
       (cond ((null? r) (put-string p ")"))
             ((pair? r) (put-string p " ") (o-display-to (car r) p) (loop (cdr r)))
             (else (put-string p " . ") (o-display-to r p) (put-string p ")")))))
    ((o-arr? x)
     (put-string p "[")
     (let ((v (o-arr-vec x)) (n (o-arr-len x)))
       (do ((i 0 (+ i 1))) ((= i n))
         (when (> i 0) (put-string p " "))
         (o-display-to (vector-ref v i) p)))
     (put-string p "]"))
    ((o-dict-t? x)
     (put-string p "#{")
     (let loop ((es (o-dict-t-entries x)) (first #t))
       (unless (null? es)
         (unless first (put-string p " "))
         (let ((k (caar es)))
           (when (symbol? k) (put-string p ":"))
           (o-display-to k p))
         (put-string p " ")
         (o-display-to (cdar es) p)
         (loop (cdr es) #f)))
     (put-string p "}"))
    ((o-atom-t? x)
     (put-string p "#<atom ")
     (o-display-to (o-atom-t-val x) p)
     (put-string p ">"))
    ((procedure? x) (put-string p "#<fn lambda>"))
    (else (put-string p "#<unknown>"))))

(define (o-display-string x)
  (call-with-string-output-port (lambda (p) (o-display-to x p))))

(define (o-println . xs)
  (let ((p (current-output-port)))
    (let loop ((xs xs) (first #t))
      (unless (null? xs)
        (unless first (put-string p " "))
        (o-display-to (car xs) p)
        (loop (cdr xs) #f)))
    (newline p))
  nothing)

(define (o-str . xs) (apply string-append (map o-display-string xs)))
(define (o-number->string x) (o-display-string x))
(define (o-string-join xs sep)
  (let ((xs (if (o-arr? xs) (o-array->list xs) xs)))
    (if (null? xs) ""
        (let loop ((r (cdr xs)) (acc (o-display-string (car xs))))
          (if (null? r) acc
              (loop (cdr r) (string-append acc sep (o-display-string (car r)))))))))

;; numbers
(define (o-int x) (exact (truncate x)))
(define (o-sqrt x) (sqrt (inexact x)))
;; Arithmetic: OmniLisp converts an Int operand to a Float when the other
;; is a Float, so an exact 0 never absorbs a Float ((* 0 -1.5) is -0.0, (+ 0 -0.0)
;; is 0.0); Chez keeps exact zeros exact.  Chez's round also drops the sign of
;; a zero result ((round -0.25) is 0.0; IEEE and OmniLisp say -0.0).
(define (o-arith op flop xs)
  (if (exists flonum? xs) (apply flop (map inexact xs)) (apply op xs)))
(define (o-+ . xs) (o-arith + fl+ xs))
(define (o-- . xs) (o-arith - fl- xs))
(define (o-* . xs) (o-arith * fl* xs))
(define (o-/ . xs) (o-arith / fl/ xs))
(define (o-round x)
  (if (flonum? x)
      (let ((r (round x)))
        (if (and (fl= r 0.0) (or (fl< x 0.0) (eqv? x -0.0))) -0.0 r))
      (round x)))

;; arrays
(define (o-array . xs) (o-list->array xs))
(define (o-list->array xs)
  (let ((v (list->vector xs))) (make-o-arr v (vector-length v))))
(define (o-array->list a)
  (let loop ((i (- (o-arr-len a) 1)) (acc '()))
    (if (< i 0) acc (loop (- i 1) (cons (vector-ref (o-arr-vec a) i) acc)))))
(define o-make-array
  (case-lambda
    ((n) (make-o-arr (make-vector n nothing) n))
    ((n fill) (make-o-arr (make-vector n fill) n))))
(define (o-push! a x)
  (let ((v (o-arr-vec a)) (n (o-arr-len a)))
    (when (= n (vector-length v))
      (let ((nv (make-vector (max 4 (* 2 n)) nothing)))
        (do ((i 0 (+ i 1))) ((= i n)) (vector-set! nv i (vector-ref v i)))
        (o-arr-vec-set! a nv)))
    (vector-set! (o-arr-vec a) n x)
    (o-arr-len-set! a (+ n 1))
    nothing))
(define (o-pop! a)
  (let* ((n (- (o-arr-len a) 1)) (x (vector-ref (o-arr-vec a) n)))
    (vector-set! (o-arr-vec a) n nothing)
    (o-arr-len-set! a n)
    x))

;; dicts
(define (o-dict . kvs)
  (let ((d (make-o-dict-t '())))
    (let loop ((r kvs))
      (unless (null? r) (o-put! d (car r) (cadr r)) (loop (cddr r))))
    d))
(define (o-dict-find d k)
  (let loop ((es (o-dict-t-entries d)))
    (cond ((null? es) #f)
          ((equal? (caar es) k) (car es))
          (else (loop (cdr es))))))
(define (o-has? d k) (if (o-dict-find d k) #t #f))
(define (o-remove! d k)
  (if (o-dict-find d k)
      (begin
        (o-dict-t-entries-set!
         d (let loop ((es (o-dict-t-entries d)))
             (cond ((null? es) '())
                   ((equal? (caar es) k) (cdr es))
                   (else (cons (car es) (loop (cdr es)))))))
        #t)
      #f))
(define (o-keys d) (map car (o-dict-t-entries d)))
(define (o-values d) (map cdr (o-dict-t-entries d)))

;; get / put! on arrays, lists, strings, dicts
(define o-get
  (case-lambda
    ((c k) (o-get c k nothing))
    ((c k dflt)
     (cond
       ((o-dict-t? c) (let ((e (o-dict-find c k))) (if e (cdr e) dflt)))
       ((o-arr? c) (if (and (>= k 0) (< k (o-arr-len c))) (vector-ref (o-arr-vec c) k) dflt))
       ((string? c) (if (and (>= k 0) (< k (string-length c))) (string-ref c k) dflt))
       (else (if (and (>= k 0) (< k (length c))) (list-ref c k) dflt))))))
(define (o-put! c k v)
  (if (o-dict-t? c)
      (let ((e (o-dict-find c k)))
        (if e (set-cdr! e v)
            (o-dict-t-entries-set! c (append (o-dict-t-entries c) (list (cons k v))))))
      (vector-set! (o-arr-vec c) k v))
  nothing)

(define (o-length x)
  (cond ((o-arr? x) (o-arr-len x))
        ((o-dict-t? x) (length (o-dict-t-entries x)))
        ((string? x) (string-length x))
        (else (length x))))

;; sequences: lists and arrays, results are lists
(define (o-seq x) (if (o-arr? x) (o-array->list x) x))
(define (o-map f xs)
  (let loop ((r (o-seq xs)) (acc '()))
    (if (null? r) (reverse acc) (let ((v (f (car r)))) (loop (cdr r) (cons v acc))))))
(define (o-for-each f xs)
  (let loop ((r (o-seq xs))) (unless (null? r) (f (car r)) (loop (cdr r))))
  nothing)
(define (o-filter f xs)
  (let loop ((r (o-seq xs)) (acc '()))
    (if (null? r) (reverse acc) (loop (cdr r) (if (f (car r)) (cons (car r) acc) acc)))))
(define (o-foldl f init xs)
  (let loop ((r (o-seq xs)) (acc init))
    (if (null? r) acc (loop (cdr r) (f acc (car r))))))
(define o-range
  (case-lambda
    ((n) (o-range 0 n 1))
    ((a b) (o-range a b 1))
    ((a b s)
     (let loop ((i a) (acc '()))
       (if (if (> s 0) (< i b) (> i b)) (loop (+ i s) (cons i acc)) (reverse acc))))))

;; atoms
(define (o-atom v) (make-o-atom-t v))
(define (o-deref a) (o-atom-t-val a))
(define (o-reset! a v) (o-atom-t-val-set! a v) v)
(define (o-swap! a f) (let ((v (f (o-atom-t-val a)))) (o-atom-t-val-set! a v) v))
(define (o-compare-and-set! a old new)
  (if (eq? (o-atom-t-val a) old) (begin (o-atom-t-val-set! a new) #t) #f))
;;; end of prelude
