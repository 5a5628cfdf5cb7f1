;;; Cellbox Maxima language worker, Maxima's side: loaded by kernel.sh into Maxima's Lisp
;;; (ECL) before the cell comes. See kernel.sh for the whole.
;;;
;;; The cell is read and run statement by statement as Maxima's prompt reads it (its own reader,
;;; mread, and evaluator), but the first error ends it, as an error ends a script: at the prompt
;;; Maxima would report it and go on. A statement ended with `;` shows its value, one ended with
;;; `$` does not; `%` is the last value. Values are shown in Maxima's 2D form, without labels
;;; (%o1): in a browser's monospace output its fractions and powers read as in a terminal.
;;;
;;; Each statement runs under Maxima's own errcatch with its messages off ($errormsg), so that an
;;; error prints nothing on its way out; Maxima's message for it ($errormsg ()) is then written
;;; to ERRFILE for kernel.sh. A syntax error's message, which the reader prints, is caught as it
;;; is printed. Stop (SIGINT) is ECL's interactive-interrupt, which errcatch does not catch: it
;;; ends the loop, and kernel.sh reports the interrupt; nor does it catch ECL's memory limit,
;;; whose message ends the cell too.

(defun cellbox-loaded (fifo)
  "Says that Maxima has started, on the FIFO kernel.sh waits on."
  (with-open-file (o fifo :direction :output :if-exists :append)
    (write-line "loaded" o))
  (values))

(defun cellbox-run (file errfile)
  (let* ((message nil)
         (ok (handler-case
                 (let (($errormsg nil))
                   (with-open-file (in file)
                     (loop
                       (let* ((said (make-string-output-stream))
                              (read (catch 'macsyma-quit
                                      (let ((*standard-output* said))
                                        (list (mread in nil))))))
                         (unless (consp read)
                           (setq message (get-output-stream-string said))
                           (return nil))
                         (let ((form (car read)))
                           (when (null form) (return t))
                           (let ((caught (meval `(($errcatch) ,(third form)))))
                             (when (null (cdr caught)) (return nil))
                             (setq $% (second caught))
                             (when (eq (caar form) 'displayinput)
                               (displa (second caught)))))))))
               (ext:interactive-interrupt () :interrupted)
               ;; What errcatch leaves to Maxima's top level, which would report it and go on
               ;; with the next input: ECL's "Memory limit reached" (a storage condition, not
               ;; an error), and anything else as serious.
               (serious-condition (c)
                 (setq message (format nil "~a" c))
                 nil))))
    (finish-output)
    (unless (eq ok t)
      (with-open-file (o errfile :direction :output :if-exists :supersede)
        (cond ((eq ok :interrupted) (write-line "interrupted" o))
              (message (write-string message o))
              (t (let ((*standard-output* o)) ($errormsg))))))
    (values)))
