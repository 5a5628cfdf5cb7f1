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
;;;
;;; Plots: plot2d, plot3d and the rest of Maxima's plot functions hand gnuplot a script for its
;;; default terminal, which without a screen is gnuplot's `unknown' one: no picture, only "this
;;; copy of gnuplot has no mouse support" and "No output will be generated" on stderr. So the
;;; cell's plots go to a PNG file in kernel.sh's folder (the png_file plot option, set as the
;;; default; the draw package's default terminal and file too, once the cell has loaded it), and
;;; each is shown where it is drawn (after plot-shipout or a draw, so each plot of a loop too),
;;; as a display_data event on fd 3, after the text before it; a plot's value (the list of
;;; gnuplot's script and that file, which the reader never wrote) is not shown. A plot given a
;;; file or terminal of its own (png_file, svg_file, gnuplot_term; draw's terminal, file_name)
;;; is left to it; a file named so lands in the cell's folder, one of the cell's files.

(defun cellbox-loaded (fifo)
  "Says that Maxima has started, on the FIFO kernel.sh waits on."
  (with-open-file (o fifo :direction :output :if-exists :append)
    (write-line "loaded" o))
  (values))

(defvar *cellbox-plot-file* nil
  "Where the cell's plots are drawn, as PNG, to be shown (the png_file plot option).")
(defvar *cellbox-events* nil
  "The event pipe (fd 3), opened once a plot is shown.")

(defun cellbox-base64 (bytes)
  (let* ((digits "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
         (n (length bytes))
         (out (make-string (* 4 (ceiling n 3)) :initial-element #\=)))
    (loop for i from 0 below n by 3
          for j from 0 by 4
          do (let ((w (logior (ash (aref bytes i) 16)
                              (ash (if (< (+ i 1) n) (aref bytes (+ i 1)) 0) 8)
                              (if (< (+ i 2) n) (aref bytes (+ i 2)) 0))))
               (setf (char out j) (char digits (ldb (byte 6 18) w))
                     (char out (+ j 1)) (char digits (ldb (byte 6 12) w)))
               (when (< (+ i 1) n) (setf (char out (+ j 2)) (char digits (ldb (byte 6 6) w))))
               (when (< (+ i 2) n) (setf (char out (+ j 3)) (char digits (ldb (byte 6 0) w))))))
    out))

(defun cellbox-show-plot ()
  "The plot just drawn into *cellbox-plot-file*, if any, as a display_data event; the file is
removed, so that the next plot is shown on its own."
  (let ((file *cellbox-plot-file*))
    (when (and file (probe-file file))
      (let ((bytes (with-open-file (in file :element-type '(unsigned-byte 8))
                     (let ((b (make-array (file-length in) :element-type '(unsigned-byte 8))))
                       (read-sequence b in)
                       b))))
        (delete-file file)
        ;; A PNG's size is in its header (IHDR): two big-endian 32-bit numbers at byte 16.
        (when (> (length bytes) 24)
          (flet ((u32 (at) (logior (ash (aref bytes at) 24) (ash (aref bytes (+ at 1)) 16)
                                   (ash (aref bytes (+ at 2)) 8) (aref bytes (+ at 3)))))
            (finish-output *standard-output*)
            (unless *cellbox-events*
              (setq *cellbox-events* (ext:make-stream-from-fd 3 :output :element-type 'character
                                                                          :external-format :utf-8)))
            (format *cellbox-events*
                    "{\"type\":\"display_data\",\"data\":{\"image/png\":\"~a\",\"text/plain\":\"<Maxima plot>\"},~
                     \"metadata\":{\"image/png\":{\"width\":~d,\"height\":~d}}}~%"
                    (cellbox-base64 bytes) (u32 16) (u32 20))
            (finish-output *cellbox-events*)))))))

(defmethod plot-shipout :after ((plot gnuplot-plot) options &optional output-file)
  (declare (ignore options output-file))
  (cellbox-show-plot))

;; A file a plot is given by name ([png_file, "sine.png"], svg_file, pdf_file, ps_file,
;; gnuplot_out_file): Maxima puts a relative name in maxima_tempdir, the sandbox's /tmp, and the
;; file was lost to the cell, whose files are those of its own folder. Relative to that folder
;; instead, as a file the cell writes itself (with_stdout) is; Maxima's own temporary files (its
;; gnuplot scripts and data, named without keep-name) stay in maxima_tempdir.
(let ((plot-file-path (symbol-function 'plot-file-path)))
  (setf (symbol-function 'plot-file-path)
        (lambda (file &optional keep-name options)
          (funcall plot-file-path
                   (if (and keep-name (stringp file) (not (eq (car (pathname-directory file)) :absolute)))
                       (namestring (merge-pathnames file (ext:getcwd)))
                       file)
                   keep-name options))))

;; A question Maxima asks as it works (asksign's "Is a positive, negative or zero?", integrate's
;; "Is n equal to -1?") is read from standard input: the commands' FIFO, where the line after the
;; cell is its `quit()`. The answer never fitted, Maxima asked again, at the end of the input
;; forever, until the Lisp's stack overflowed (thousands of questions, then "BINDING-STACK
;; overflow"). Every question goes through retrieve: it is now the cell's error, with the
;; question and the way to answer it beforehand.
(defun cellbox-question (msg)
  "The question retrieve would print (an mtext of strings and expressions), as one line."
  (flet ((text (part) (if (stringp part) part (coerce (mstring part) 'string))))
    (if (and (consp msg) (consp (car msg)) (eq (caar msg) 'mtext))
        (apply #'concatenate 'string (mapcar #'text (cdr msg)))
        (text msg))))

(setf (symbol-function 'retrieve)
      (lambda (msg flag &rest more)
        (declare (ignore flag more))
        (merror "~a" (format nil "Maxima asks \"~a\", which a cell cannot answer: tell it beforehand, with assume() or declare() (assume(a > 0), assume(notequal(n, -1)), declare(n, integer))."
                             (cellbox-question msg)))))

;; read() and readonly() read an expression from the same input: they took the `quit()` after
;; the cell for the value, and read() ran it, so the cell ended there as if it had done well.
(dolist (name '("read" "readonly"))
  (let ((message (format nil "~a(): a cell has no input to read; give the value in the cell instead (n: 5)." name)))
    (setf (symbol-function (intern (concatenate 'string "$" (string-upcase name))))
          (lambda (&rest prompt)
            (declare (ignore prompt))
            (merror "~a" message)))))

;; The cell's plots are drawn into the PNG file by the png_file option, set as a default, and a
;; default comes after the call's own options in the list the terminal is chosen from; Maxima
;; looks for svg_file, then png_file, then pdf_file and ps_file, then the terminal: so a call's
;; [pdf_file, "p.pdf"], [ps_file, ...] or [gnuplot_term, dumb] (a plot as text) was drawn as the
;; default PNG and shown, its own file never written. The default gives way to them.
(let ((terminal-and-file (symbol-function 'gnuplot-terminal-and-file)))
  (setf (symbol-function 'gnuplot-terminal-and-file)
        (lambda (plot-options)
          (funcall terminal-and-file
                   (if (and *cellbox-plot-file*
                            (equal (getf plot-options :png_file) *cellbox-plot-file*)
                            (or (getf plot-options :pdf_file) (getf plot-options :ps_file)
                                (not (member (getf plot-options :gnuplot_term) '(nil $default)))))
                       (loop for (key value) on plot-options by #'cddr
                             unless (and (eq key :png_file) (equal value *cellbox-plot-file*))
                               append (list key value))
                       plot-options)))))

(defvar *cellbox-draw-ready* nil)

(defun cellbox-draw-to-png ()
  "Once the cell has loaded the draw package (load(draw)), whose draw2d and draw3d hand gnuplot
its screen terminal too: its default terminal PNG, into the plots' file, shown after each draw."
  (when (and (not *cellbox-draw-ready*) *cellbox-plot-file* (fboundp '$draw))
    (setq *cellbox-draw-ready* t)
    (mfuncall '$set_draw_defaults (list '(mequal) '$terminal '$png)
              (list '(mequal) '$file_name (subseq *cellbox-plot-file* 0 (- (length *cellbox-plot-file*) 4))))
    ;; Each of the three: draw2d and draw3d call draw's function directly, not through its name.
    (dolist (name '($draw $draw2d $draw3d))
      (let ((draw (symbol-function name)))
        (setf (symbol-function name)
              (lambda (&rest args)
                (multiple-value-prog1 (apply draw args) (cellbox-show-plot))))))))

(defun cellbox-plot-value-p (value)
  "Whether a statement's value is what a plot drawn for the cell returns: a list with its file."
  (and *cellbox-plot-file* (consp value) (eq (caar value) 'mlist)
       (member *cellbox-plot-file* (cdr value) :test #'equal)))

;; Help. Maxima's prompt takes a line `? topic' as describe(topic) and `?? topic' as
;; describe(topic, inexact); its reader, which runs the cell, takes `?' for the start of a Lisp
;; name: `? integrate' showed " integrate" and `?? integ' was a syntax error. The cell's lines
;; are taken as the prompt takes them (cellbox-help-line). And where several entries match,
;; describe asks which to show ("Enter space-separated numbers, `all' or `none'"), reading the
;; commands' FIFO: "Unexpected end of file" was the cell's error. It is answered instead: all
;; of an exact topic's entries (one, mostly), none of an inexact one's, whose list is shown.
(defvar *cellbox-help-answer* "all")
(let ((display-items (symbol-function 'cl-info::display-items)))
  (setf (symbol-function 'cl-info::display-items)
        (lambda (&rest args)
          (let ((*standard-input* (make-string-input-stream (format nil "~a~%" *cellbox-help-answer*))))
            (apply display-items args)))))
(setf (symbol-function 'cl-info::print-prompt) (lambda (&rest args) (declare (ignore args)) nil))
(let ((info-inexact (symbol-function 'cl-info::info-inexact)))
  (setf (symbol-function 'cl-info::info-inexact)
        (lambda (&rest args)
          (let ((*cellbox-help-answer* "none"))
            (apply info-inexact args)))))

(defun cellbox-help-line (in)
  "A line `? topic' or `?? topic' that comes next in IN, read as Maxima's prompt reads it: the
statement describe(topic) or describe(topic, inexact), its value not shown. Anything else is
left to be read, and nil."
  (loop for c = (peek-char nil in nil)
        while (member c '(#\Space #\Tab #\Newline #\Return #\Page))
        do (read-char in))
  (let ((start (file-position in)))
    (when (eql (peek-char nil in nil) #\?)
      (read-char in)
      (let* ((inexact (eql (peek-char nil in nil) #\?))
             (next (progn (when inexact (read-char in)) (peek-char nil in nil))))
        (if (member next '(#\Space #\Tab))
            (let ((topic (string-trim '(#\Space #\Tab #\; #\$ #\Return) (read-line in nil ""))))
              `((nodisplayinput) nil (($describe) ,topic ,(if inexact '$inexact '$exact))))
            (progn (file-position in start) nil))))))

(defun cellbox-run (file errfile plotfile)
  (setq *cellbox-plot-file* plotfile)
  (mfuncall '$set_plot_option (list '(mlist) '$png_file plotfile))
  (let* ((message nil)
         (ok (handler-case
                 (let (($errormsg nil))
                   (with-open-file (in file)
                     (loop
                       (let* ((said (make-string-output-stream))
                              (help (cellbox-help-line in))
                              (read (if help
                                        (list help)
                                        (catch 'macsyma-quit
                                          (let ((*standard-output* said))
                                            (list (mread in nil)))))))
                         (unless (consp read)
                           (setq message (get-output-stream-string said))
                           (return nil))
                         (let ((form (car read)))
                           (when (null form) (return t))
                           ;; The string functions' errors (stringproc's gf-merror: cint(1),
                           ;; charat("abc", 10), ascii(1000)) print " -- an error." and throw to
                           ;; Maxima's top level past errcatch: caught here, or the cell ended
                           ;; there, unreported, as if it had run well. Their message is $error.
                           (let ((caught (catch 'macsyma-quit (meval `(($errcatch) ,(third form))))))
                             (cellbox-draw-to-png)
                             (when (or (atom caught) (null (cdr caught))) (return nil))
                             (setq $% (second caught))
                             (when (and (eq (caar form) 'displayinput)
                                        (not (cellbox-plot-value-p (second caught))))
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
