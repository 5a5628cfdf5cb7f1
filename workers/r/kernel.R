# Cellbox R language worker: runs one code cell like the R console, events on fd 3.
#
# Started by kernel.sh as `R --vanilla --no-echo --file=kernel.R` (see workers/protocol.ts for
# the contract). The cell's code is parsed whole (a syntax error runs nothing and is a
# `ParseError` naming the cell's line), then its top-level expressions run one by one in the
# global environment; each visible value is printed as the console prints it. Text goes out on
# the process's own fd 1 and 2. The first error stops the cell and is an `error` event with R's
# own "Error in f(x) : message" and "Calls: a -> b" lines. Warnings print at once (warn = 1);
# a cell that sets warn = 0 has them reported after each top-level expression, as the console does.
#
# Graphics: unless the cell opens a device of its own, R's default device is a PNG file device
# in a private folder. A page is shown (display_data, image/png) once it is complete: after
# the top-level expression that started the next page or closed the device, and at the end of
# the cell, when every device still open is closed (which also writes the cell's own files,
# say a pdf() it never closed). Low-level additions (lines(), abline() …) in later expressions
# land on the same page, as in the console.
#
# Everything of the worker lives in an environment whose parent is base, so a cell that
# defines `print`, `cat` or `paste0` does not change how the worker talks to the device.

local(envir = new.env(parent = baseenv()), {
  PLOT_WIDTH_IN <- 7
  PLOT_HEIGHT_IN <- 5
  PLOT_DPI <- 96

  # Events go out on fd 3. R writes only to descriptors 1 and 2 of its own, and /dev/fd/3
  # cannot be opened again inside the sandbox (the pipe belongs to the device's user), so a
  # `cat` that inherits fd 3 copies them there. close() waits for it: the events are out before
  # the cell's next output, so text and plots keep their order, and `done` is out before R
  # exits. One `cat` per call, so lines that go out together share one. (A cell at its process
  # limit may leave no room for the `cat` for a moment: it is tried again.)
  # The `cat` ignores SIGINT: Stop's reaches every process of the sandbox, and the one kept
  # for the cell's last events (last_events) must live to write them.
  TO_EVENTS <- "trap '' INT; exec /bin/cat >&3"
  emit <- function(...) {
    lines <- c(...)
    for (attempt in 1:5) {
      sent <- tryCatch({
        con <- pipe(TO_EVENTS, open = "w")
        tryCatch(writeLines(lines, con, useBytes = TRUE), finally = close(con))
        TRUE
      }, error = function(e) FALSE, warning = function(w) FALSE)
      if (sent) return(invisible(TRUE))
      Sys.sleep(0.05 * attempt)
    }
    invisible(FALSE)
  }

  # Text as UTF-8, bytes that are not (a message made of raw bytes) replaced by "?".
  utf8 <- function(x) {
    x <- iconv(enc2utf8(x), "UTF-8", "UTF-8", sub = "?")
    x[is.na(x)] <- "?"
    x
  }

  json_string <- function(x) {
    x <- utf8(paste(as.character(x), collapse = "\n"))
    x <- gsub("\\", "\\\\", x, fixed = TRUE, useBytes = TRUE)
    x <- gsub("\"", "\\\"", x, fixed = TRUE, useBytes = TRUE)
    x <- gsub("\n", "\\n", x, fixed = TRUE, useBytes = TRUE)
    x <- gsub("\r", "\\r", x, fixed = TRUE, useBytes = TRUE)
    x <- gsub("\t", "\\t", x, fixed = TRUE, useBytes = TRUE)
    if (grepl("[\001-\037\177]", x, useBytes = TRUE)) {
      for (code in c(1:8, 11, 12, 14:31, 127)) {
        x <- gsub(rawToChar(as.raw(code)), sprintf("\\u%04x", code), x, fixed = TRUE, useBytes = TRUE)
      }
    }
    paste0("\"", x, "\"")
  }

  json_array <- function(strings) {
    paste0("[", paste(vapply(strings, json_string, ""), collapse = ","), "]")
  }

  B64 <- c(LETTERS, letters, 0:9, "+", "/")
  base64 <- function(bytes) {
    n <- length(bytes)
    if (n == 0) return("")
    pad <- (3 - n %% 3) %% 3
    v <- matrix(as.integer(c(bytes, as.raw(integer(pad)))), nrow = 3)
    w <- v[1, ] * 65536 + v[2, ] * 256 + v[3, ]
    idx <- rbind(w %/% 262144, (w %/% 4096) %% 64, (w %/% 64) %% 64, w %% 64) + 1
    chars <- B64[idx]
    if (pad > 0) chars[(length(chars) - pad + 1):length(chars)] <- "="
    paste(chars, collapse = "")
  }

  # Text the cell wrote goes out before any event that follows it.
  flush_output <- function() {
    try(flush(stdout()), silent = TRUE)
    try(flush(stderr()), silent = TRUE)
  }

  # What the cell wrote to files it left open (file(..., "w") without close()) goes to them
  # before its `done`: R's exit would flush them, but the device ends the worker at `done`, and
  # such a file was listed empty. Plain files only: a pipe's flush may wait for a reader that
  # is gone, and a compressed file is whole only once closed.
  flush_files <- function() {
    for (n in getAllConnections()) {
      if (n <= 2) next
      try({
        info <- summary(getConnection(n))
        if (identical(info$class, "file") && identical(info$opened, "opened") && identical(info[["can write"]], "yes")) flush(getConnection(n))
      }, silent = TRUE)
    }
  }

  # ---- graphics -------------------------------------------------------------------------

  plot_dir <- file.path(tempdir(), "cellbox-plots")
  dir.create(plot_dir, showWarnings = FALSE)
  devices_opened <- 0L

  # R's default device: PNG pages in plot_dir, one file name pattern per device opened, so a
  # second device never overwrites a first one's pages before they are shown. Its size, in
  # inches, is dev.new()'s width and height where the cell gives them, else IRkernel's options
  # (repr.plot.width, repr.plot.height, repr.plot.res), which a notebook from Jupyter sets:
  # they were ignored, and every plot was 7 by 5.
  cellbox_device <- function(width = getOption("repr.plot.width", PLOT_WIDTH_IN),
                             height = getOption("repr.plot.height", PLOT_HEIGHT_IN),
                             res = getOption("repr.plot.res", PLOT_DPI), ...) {
    devices_opened <<- devices_opened + 1L
    grDevices::png(
      filename = file.path(plot_dir, sprintf("device%03d-page%%03d.png", devices_opened)),
      width = width, height = height, units = "in", res = res, type = "cairo"
    )
  }

  # A PNG's size in pixels, from its header (IHDR: two big-endian 32-bit numbers at byte 17).
  png_size <- function(bytes) {
    if (length(bytes) < 24L) return(c(PLOT_WIDTH_IN * PLOT_DPI, PLOT_HEIGHT_IN * PLOT_DPI))
    number <- function(at) sum(as.numeric(bytes[at:(at + 3L)]) * 256^(3:0))
    c(number(17L), number(21L))
  }

  # Whether a page is blank: nothing drawn on the white the device starts it with. ggplot2's
  # print() starts its page before it builds the plot, so a plot that fails to build (a
  # misspelt column) left a blank 7 by 5 inch page above its error; a notebook (IRkernel's
  # evaluate) shows no empty plot. Cairo writes such a page as a palette PNG whose every pixel
  # is entry 0, white. Only a page small for its size is looked at: a blank one compresses to
  # almost nothing.
  blank_page <- function(bytes, size) {
    if (length(bytes) > 1024 + prod(size) / 500 || length(bytes) < 33L || as.integer(bytes[26L]) != 3L) return(FALSE)
    palette <- raw()
    data <- raw()
    at <- 9L
    while (at + 11L <= length(bytes)) {
      n <- sum(as.numeric(bytes[at:(at + 3L)]) * 256^(3:0))
      if (at + 11L + n > length(bytes)) return(FALSE)
      type <- rawToChar(bytes[(at + 4L):(at + 7L)])
      chunk <- if (n > 0) bytes[(at + 8L):(at + 7L + n)] else raw()
      if (type == "PLTE") palette <- chunk
      if (type == "IDAT") data <- c(data, chunk)
      at <- at + 12L + n
    }
    pixels <- tryCatch(memDecompress(data, "gzip"), error = function(e) NULL)
    length(palette) >= 3L && all(palette[1:3] == as.raw(255L)) && length(pixels) > 0L && all(pixels == as.raw(0L))
  }

  # Every complete page not yet shown, in order. The device creates a page's file empty when
  # the page starts and writes it whole when the page is done (the next page starts, or the
  # device is closed): an empty file is a page still being drawn.
  show_plots <- function() {
    pages <- sort(list.files(plot_dir, pattern = "\\.png$", full.names = TRUE))
    sizes <- file.size(pages)
    pages <- pages[!is.na(sizes) & sizes > 0]
    if (!length(pages)) return(invisible())
    flush_output()
    events <- character()
    for (page in pages) {
      bytes <- readBin(page, "raw", file.size(page))
      unlink(page)
      size <- png_size(bytes)
      if (blank_page(bytes, size)) next
      events <- c(events, paste0(
        "{\"type\":\"display_data\",\"data\":{\"image/png\":\"", base64(bytes),
        "\",\"text/plain\":\"<R plot>\"},\"metadata\":{\"image/png\":{\"width\":",
        format(size[1L], scientific = FALSE), ",\"height\":", format(size[2L], scientific = FALSE), "}}}"
      ))
    }
    if (length(events)) emit(events)
  }

  # At the end of the cell: close every device still open (writing its last page, or the
  # cell's own file), then show what is left.
  close_devices <- function() {
    while (grDevices::dev.cur() > 1L) {
      if (inherits(try(grDevices::dev.off(), silent = TRUE), "try-error")) break
    }
    show_plots()
  }

  # ---- running the cell -----------------------------------------------------------------

  # The call R gives to a condition signalled at the top of a cell is this worker's eval(): a
  # top-level `stop("x")` or a missing variable should read as in the console, without a call.
  WORKER_CALL <- quote(eval(cellbox_expression, globalenv()))
  PRINT_CALL <- quote(eval(AUTO_PRINT, list(x = result$value), globalenv()))
  # Frames of the worker and of R's condition machinery, left out of "Calls:".
  # (options(warn = 2) turns a warning into an error through warning's restarts.)
  CONDITION_FUNCTIONS <- c(
    "stop", "warning", "signalCondition", "stopifnot", ".handleSimpleError", ".signalSimpleWarning",
    "withRestarts", "withOneRestart", "doWithOneRestart"
  )
  is_condition_frame <- function(call, fn) {
    is.function(fn) && call_name(call) %in% CONDITION_FUNCTIONS &&
      identical(topenv(environment(fn)), .BaseNamespaceEnv)
  }

  AUTO_PRINT <- quote(if (isS4(x)) methods::show(x) else print(x))

  # R's own messages when an allocation fails (at the memory limit, the address-space limit).
  OUT_OF_MEMORY <- "^(cannot allocate (vector|memory block) of size|vector memory exhausted)"

  # The error's name: its class, or "Error" for stop()'s; an allocation that failed is a
  # MemoryError, as in every language's cell that passes the memory limit (R's message stays).
  error_ename <- function(e) {
    cls <- class(e)[1]
    if (!identical(cls, "simpleError")) return(cls)
    if (grepl(OUT_OF_MEMORY, conditionMessage(e))) "MemoryError" else "Error"
  }

  call_name <- function(cl) {
    f <- cl[[1L]]
    if (is.call(f) && length(f) == 3L && as.character(f[[1L]]) %in% c("::", ":::")) f <- f[[3L]] # base::stop
    if (is.symbol(f)) as.character(f) else "<Anonymous>"
  }

  # The calls as R's "Calls:" line gives them: from the innermost out, until they pass
  # options(showNCalls) characters (50); then "..." and the outermost alone, "a1 ... a5 -> a6".
  # A deep error (a model's formula naming a column the data lacks) had every frame listed.
  concise_calls <- function(names) {
    limit <- suppressWarnings(as.integer(getOption("showNCalls", 50L))[1L])
    if (is.na(limit)) limit <- 50L
    line <- ""
    outermost <- NULL
    for (name in rev(names)) {
      if (!is.null(outermost)) {
        outermost <- name
      } else if (nchar(line, "bytes") > limit) {
        line <- paste0("... ", line)
        outermost <- name
      } else {
        line <- if (nzchar(line)) paste0(name, " -> ", line) else name
      }
    }
    if (!is.null(outermost) && nchar(outermost, "bytes") < 50L) line <- paste0(outermost, " ", line)
    line
  }

  # An error of rlang's (tidyverse packages: ggplot2, tibble, dplyr …) as rlang reports it at
  # the console: "Error in `geom_point()`:", then its message's lines with their bullets ("!",
  # "ℹ", "Caused by error …"), and no "Calls:", which here were rlang's and its handlers' own
  # frames. R's report of it read "Error in geom_point() : Problem while computing
  # aesthetics." with the cause below it unmarked. NULL for other errors, or if rlang fails.
  rlang_report <- function(e) {
    if (!inherits(e, "rlang_error") || !isNamespaceLoaded("rlang")) return(NULL)
    report <- tryCatch(utf8(getExportedValue("rlang", "cnd_message")(e, prefix = TRUE)), error = function(err) NULL)
    if (!is.character(report) || length(report) != 1L || !nzchar(report)) return(NULL)
    strsplit(report, "\n", fixed = TRUE)[[1]]
  }

  # R's own report of an uncaught error: "Error in f(x) : message" and, when the error came
  # from deeper down, "Calls: a -> b -> c".
  error_event <- function(e, calls) {
    message <- utf8(conditionMessage(e))
    call <- conditionCall(e)
    if (identical(call, WORKER_CALL)) call <- NULL
    head <- if (is.null(call)) {
      paste0("Error: ", message)
    } else {
      # As R does: where the call and the message's first line would pass 75 columns, the
      # message starts on a line of its own, indented ("Error in f(1) : " then "  message").
      where <- utf8(paste(deparse(call, nlines = 1L), collapse = ""))
      first <- strsplit(message, "\n", fixed = TRUE)[[1]][1L]
      long <- 14L + nchar(where, "width") + (if (is.na(first)) 0L else nchar(first, "width")) > 75L
      paste0("Error in ", where, " : ", if (long) "\n  ", message)
    }
    traceback <- strsplit(head, "\n", fixed = TRUE)[[1]]
    rlang <- rlang_report(e)
    names <- vapply(calls, call_name, "")
    if (!is.null(rlang)) {
      traceback <- rlang
    } else if (!is.null(call) && (length(names) > 1L || (length(names) == 1L && names != call_name(call)))) {
      # As R does: no "Calls:" line for an error without a call (stop(call. = FALSE), as
      # packages raise theirs, said "Error: x" then "Calls: f -> g"), nor when it would only
      # repeat the call in the message.
      traceback <- c(traceback, paste0("Calls: ", concise_calls(names)))
    }
    paste0(
      "{\"type\":\"error\",\"ename\":", json_string(error_ename(e)),
      ",\"evalue\":", json_string(message), ",\"traceback\":", json_array(traceback), "}"
    )
  }

  # The cell's own frames at the moment of an error: those after this worker's eval() and
  # before R's condition machinery and the handler.
  cell_calls <- function(calls, functions) {
    n <- length(calls)
    start <- 0L
    for (i in seq_len(n)) if (identical(calls[[i]], WORKER_CALL) || identical(calls[[i]], PRINT_CALL)) start <- i
    if (start == 0L) return(list())
    end <- n - 1L # the handler itself
    while (end > start && is_condition_frame(calls[[end]], functions[[end]])) end <- end - 1L
    if (end <= start) return(list())
    calls[(start + 1L):end]
  }

  # Stop (SIGINT, which R turns into an `interrupt` condition, as at the console's Ctrl-C): the
  # line of the cell it was at, then the cell's calls as R's traceback() lists them, innermost
  # first, each "at cell#N" where the call has its place in the cell's source. `line`: the
  # line of the top-level expression, for a call that has no place of its own (a top-level
  # call is evaluated from the parsed expression, without one).
  interrupt_event <- function(calls, line) {
    places <- vapply(calls, function(cl) {
      ref <- attr(cl, "srcref")
      if (!is.null(ref) && identical(attr(ref, "srcfile")$filename, "cell")) ref[1L] else NA_integer_
    }, 0L)
    if (length(places) && is.na(places[1L])) places[1L] <- line
    frames <- vapply(seq_along(calls), function(i) {
      text <- utf8(paste(deparse(calls[[i]], nlines = 1L), collapse = ""))
      paste0(i, ": ", text, if (!is.na(places[i])) paste0(" at cell#", places[i]) else "")
    }, "")
    known <- places[!is.na(places)]
    at <- if (length(known)) known[length(known)] else line
    paste0(
      "{\"type\":\"error\",\"ename\":\"KeyboardInterrupt\",\"evalue\":\"interrupted\",\"traceback\":",
      json_array(c(paste0("Interrupted at line ", at, " of the cell"), rev(frames))), "}"
    )
  }

  error <- NULL

  # One top-level expression (at `line` of the cell): evaluated, and its value printed if
  # visible. FALSE on error or interrupt.
  run_expression <- function(cellbox_expression, line = 1L) {
    deferred <- FALSE
    ok <- tryCatch(
      withCallingHandlers(
        {
          result <- withVisible(eval(cellbox_expression, globalenv()))
          # Printed from the global environment, as the console does: the cell's own print
          # methods (print.myclass) apply.
          if (result$visible) eval(AUTO_PRINT, list(x = result$value), globalenv())
          TRUE
        },
        error = function(e) {
          calls <- sys.calls()
          functions <- lapply(seq_along(calls), sys.function)
          error <<- error_event(e, cell_calls(calls, functions))
        },
        interrupt = function(i) {
          calls <- sys.calls()
          functions <- lapply(seq_along(calls), sys.function)
          error <<- interrupt_event(cell_calls(calls, functions), line)
        },
        # A warning of the cell's top level reads as at the console ("Warning: careful"),
        # not "Warning in eval(cellbox_expression, globalenv()) : careful", the worker's call.
        # Printed so only as warnings print at once (warn = 1); warn = 2 makes it an error.
        warning = function(w) {
          call <- conditionCall(w)
          top <- identical(call, WORKER_CALL) || identical(call, PRINT_CALL)
          warn <- suppressWarnings(as.integer(getOption("warn")))
          if (identical(warn, 1L) && top) {
            cat("Warning: ", conditionMessage(w), "\n", sep = "", file = stderr())
            invokeRestart("muffleWarning")
          }
          # Deferred (warn = 0, R's default, which a cell may set again): R reports such
          # warnings at the end of the console's top-level call, which for the worker is the
          # whole cell: they came after it, each "In eval(cellbox_expression, globalenv())".
          # R keeps them (a top-level one without the worker's call), and the worker has R
          # report them after the expression (report_deferred).
          if (identical(warn, 0L)) {
            deferred <<- TRUE
            if (top) {
              w$call <- NULL
              warning(w)
              invokeRestart("muffleWarning")
            }
          }
        }
      ),
      error = function(e) {
        if (is.null(error)) error <<- error_event(e, list())
        FALSE
      },
      interrupt = function(i) {
        if (is.null(error)) error <<- interrupt_event(list(), line)
        FALSE
      }
    )
    if (deferred) report_deferred(failed = !isTRUE(ok))
    ok
  }

  # R's own report of the warnings it deferred (its PrintWarnings, which also sets what
  # warnings() shows), as the console gives it after a top-level call: "In addition: " before
  # it only when the call failed. R's .Internal always says "In addition: ", and writes to the
  # message sink, which is borrowed for it.
  report_deferred <- function(failed) {
    report <- character()
    sunk <- sink.number(type = "message")
    to <- if (sunk == 2L) stderr() else getConnection(sunk)
    con <- textConnection("report", "w", local = TRUE)
    sink(con, type = "message")
    tryCatch(.Internal(printDeferredWarnings()), finally = {
      sink(to, type = "message")
      close(con)
    })
    report <- report[nzchar(report)]
    if (!length(report)) return(invisible())
    if (!failed) report[1L] <- sub("^In addition: ", "", report[1L])
    cat(report, sep = "\n", file = to) # a newline after the last too, with such a sep
  }

  read_code <- function() {
    con <- file("stdin", open = "r")
    on.exit(close(con))
    lines <- READ_LINES(con, warn = FALSE, encoding = "UTF-8")
    if (length(lines)) lines[1] <- sub("^\ufeff", "", lines[1])
    lines
  }

  run_cell <- function(lines) {
    expressions <- tryCatch(
      parse(text = lines, srcfile = srcfilecopy("cell", lines), keep.source = TRUE),
      error = function(e) e
    )
    if (inherits(expressions, "error")) {
      message <- utf8(conditionMessage(expressions))
      error <<- paste0(
        "{\"type\":\"error\",\"ename\":\"ParseError\",\"evalue\":", json_string(strsplit(message, "\n")[[1]][1]),
        ",\"traceback\":", json_array(c("Error: parse error", strsplit(message, "\n", fixed = TRUE)[[1]])), "}"
      )
      return(invisible())
    }
    places <- attr(expressions, "srcref")
    for (i in seq_along(expressions)) {
      ok <- run_expression(expressions[[i]], places[[i]][1L])
      # A Stop as the plots are shown: between expressions it stops the cell there; after the
      # last one, or an error, the cell has ended, and its own result stands.
      shown <- tryCatch({
        show_plots()
        TRUE
      }, interrupt = function(cond) FALSE)
      if (!isTRUE(ok)) break
      if (!shown) {
        if (i < length(expressions)) error <<- interrupt_event(list(), places[[i]][1L])
        break
      }
    }
  }

  # ---- quit() from the cell -------------------------------------------------------------

  # R's quit() and q() end the process then and there, without `done`: quit(status = 2) read
  # as a crash of the worker (WorkerCrashed), and a plot not yet shown was lost. The cell's
  # quit() notes its status and goes on to R's own; as R exits (after the cell's .Last, if
  # any), a finalizer ends the cell as the worker would have: plots shown, an ExitStatus error
  # for a status other than 0, then `done`. A quit() that R refuses (a bad `save`) exits
  # nothing and forgets its status again.
  quit_status <- NULL
  # R's own quit() is this .Internal: called here, its errors name the cell's call.
  cell_quit <- function(save = "default", status = 0, runLast = TRUE) {
    quit_status <<- status
    on.exit(quit_status <<- NULL)
    .Internal(quit(save, status, runLast))
  }
  # Puts `value` in place of the functions `names` of an attached package (base R's by
  # default), where a cell's call finds them: the package's namespace and its place on the
  # search path.
  replace_base <- function(names, value, package = "base") {
    places <- if (package == "base") list(baseenv(), .BaseNamespaceEnv) else list(asNamespace(package), as.environment(paste0("package:", package)))
    for (where in places) {
      for (name in names) {
        unlockBinding(name, where)
        assign(name, value, envir = where)
        lockBinding(name, where)
      }
    }
  }
  replace_base(c("quit", "q"), cell_quit)

  # ---- readline() -----------------------------------------------------------------------

  # R's readline() outside an interactive session answers "" at once, as if Enter had been
  # pressed: a cell that asked for a number went on with NA, and nothing said why. A cell runs
  # unattended, as Python's input() and Octave's say too: the prompt, then this error (in the
  # cell's call, "Error in readline("n? ") : …"), which the cell may catch.
  NO_INPUT <- "a cell runs unattended, with nothing to type into it; put the value in the code instead"
  NO_INSTALL <- "cells have no network, so packages cannot be installed from one: use the packages this server has (installed.packages() lists them)"
  cell_readline <- function(prompt = "") {
    cat(prompt)
    stop(NO_INPUT)
  }
  replace_base("readline", cell_readline)
  # scan() and readLines() of the console (scan's file = "", readLines' stdin()), which in a
  # cell is the worker's own script, read to its end already, or of the process's stdin
  # ("stdin", file("stdin"), as an Rscript reads its input), which held the cell's code: they
  # answered numeric(0) or character(0) and the cell went on with nothing. They fail as
  # readline() does; of a file or of text (scan's text = ) they are left as they are.
  is_stdin <- function(con) {
    (is.character(con) && length(con) == 1L && con %in% c("", "stdin")) ||
      (inherits(con, "connection") && identical(tryCatch(summary(con)$description, error = function(e) ""), "stdin"))
  }
  cell_scan <- get("scan", envir = baseenv())
  body(cell_scan) <- bquote({
    if (missing(text) && .(is_stdin)(file)) stop(.(NO_INPUT))
    .(body(cell_scan))
  })
  replace_base("scan", cell_scan)
  # The worker's own, for the cell's code on stdin.
  READ_LINES <- get("readLines", envir = baseenv())
  cell_read_lines <- READ_LINES
  body(cell_read_lines) <- bquote({
    if (.(is_stdin)(con)) stop(.(NO_INPUT))
    .(body(cell_read_lines))
  })
  replace_base("readLines", cell_read_lines)
  # read.table() of stdin (read.csv(file("stdin")), as a script reads a piped table) said only
  # "no lines available in input". read.csv and the rest call utils' read.table.
  cell_read_table <- get("read.table", envir = asNamespace("utils"))
  body(cell_read_table) <- bquote({
    if (missing(text) && .(is_stdin)(file)) stop(.(NO_INPUT))
    .(body(cell_read_table))
  })
  replace_base("read.table", cell_read_table, "utils")

  # ---- what a cell cannot do, said plainly -----------------------------------------------

  # install.packages() from a repository failed with "unable to install packages" after a
  # warning that the library is not writable: a cell has no network either. Like Python's
  # %pip, it says so. (From a local file, repos = NULL, it is left as it is.)
  cell_install_packages <- get("install.packages", envir = asNamespace("utils"))
  body(cell_install_packages) <- bquote({
    if (!is.null(repos)) stop(.(NO_INSTALL))
    .(body(cell_install_packages))
  })
  replace_base("install.packages", cell_install_packages, "utils")
  # View() opens a window, which a cell has not ("unable to start data viewer"): as IRkernel
  # does in Jupyter, it shows the data instead, here as the console prints it.
  cell_view <- function(x, title) {
    if (!missing(title)) cat(title, "\n", sep = "")
    eval(AUTO_PRINT, list(x = x), globalenv())
    invisible(x)
  }
  replace_base("View", cell_view, "utils")
  # Help pages are text on stdout: without the overstrikes that underline their titles, which a
  # terminal's pager turns into underlining and a page shows as "_\bA_\br…". (Rd2txt's options
  # are the tools namespace's, loaded by the first help.)
  plain_help <- function(...) tools::Rd2txt_options(underline_titles = FALSE)
  if (isNamespaceLoaded("tools")) plain_help() else setHook(packageEvent("tools", "onLoad"), plain_help)
  end_on_quit <- function(worker) {
    if (is.null(quit_status)) return(invisible())
    try({
      close_devices()
      flush_output()
      flush_files()
      status <- suppressWarnings(as.integer(quit_status[1]))
      quit_error <- if (!identical(status, 0L)) {
        evalue <- sprintf("quit(status = %s)", status)
        paste0("{\"type\":\"error\",\"ename\":\"ExitStatus\",\"evalue\":", json_string(evalue), ",\"traceback\":", json_array(paste("R exited:", evalue)), "}")
      }
      emit_last(quit_error, paste0("{\"type\":\"done\",\"status\":\"", if (is.null(quit_error)) "ok" else "error", "\"}"))
    }, silent = TRUE)
  }
  reg.finalizer(environment(), end_on_quit, onexit = TRUE)

  # ---- Stop while system() waits ---------------------------------------------------------

  # R runs system() and system2() as C's system() does, with SIGINT ignored while the command
  # runs: Stop ended the command (it reaches every process of the sandbox), and R, which never
  # saw the signal, went on to the cell's next line, to be killed after the grace. Their shell
  # now notes the signal (a trap, in the shell only: the command's own processes get it as
  # before, and the shell still ends by it), and the call that ran it signals R's interrupt
  # condition once it returns, where R would have at the console's Ctrl-C: the cell ends as
  # Stop ends it elsewhere, at the call's line. A command that sends SIGINT to its own shell
  # (`kill -INT $$`) reads so too.
  # The trap goes on the command's own first line: the shell's messages name the line
  # ("sh: 1: lss: not found"), which read "sh: 2:" after a trap of a line of its own.
  INTERRUPTED_FLAG <- file.path(tempdir(), "cellbox-interrupted")
  if (!grepl("[\"$`\\\\]", INTERRUPTED_FLAG)) {
    NOTE_INTERRUPT <- paste0("trap 'trap - INT; : >\"", INTERRUPTED_FLAG, "\"; kill -INT $$' INT; ")
    RUN_COMMAND <- quote(.Internal(system(command, intern, timeout)))
    INTERRUPT <- structure(list(), class = c("interrupt", "condition"))
    for (name in c("system", "system2")) {
      f <- get(name, envir = baseenv())
      code <- body(f)
      last <- length(code)
      # As R 4.x has them: the call that runs the command is the last; else left as they are.
      if (!identical(code[[last]], RUN_COMMAND)) next
      # R's warnings and errors of the command ("running command 'ls x' had status 2", "timed
      # out") name the command R ran and the call it ran in: they named the trap before the
      # command, and a withVisible() of this worker's. They name the cell's command and its
      # system() call again, as in the console.
      code[[last]] <- bquote({
        unlink(.(INTERRUPTED_FLAG))
        call <- sys.call()
        as_cell <- function(cond) {
          cond$message <- sub(.(NOTE_INTERRUPT), "", conditionMessage(cond), fixed = TRUE)
          cond$call <- call
          cond
        }
        # Signalled again from here, once the command is done, so that under warn = 2 the
        # error's calls are the cell's system() alone, as in the console.
        warned <- list()
        value <- tryCatch(
          withCallingHandlers(
            withVisible(.Internal(system(paste0(.(NOTE_INTERRUPT), command), intern, timeout))),
            warning = function(w) {
              warned[[length(warned) + 1L]] <<- as_cell(w)
              invokeRestart("muffleWarning")
            }
          ),
          error = function(e) e
        )
        if (inherits(value, "error")) stop(as_cell(value))
        for (w in warned) warning(w)
        # R ends a command past its `timeout` with SIGINT too, and says 124 for it: that is
        # not a Stop, and the cell goes on, as in the console.
        status <- if (isTRUE(intern)) attr(value$value, "status") else value$value
        timed_out <- timeout > 0 && identical(as.integer(status), 124L)
        if (file.exists(.(INTERRUPTED_FLAG))) {
          unlink(.(INTERRUPTED_FLAG))
          if (!timed_out) signalCondition(.(INTERRUPT))
        }
        if (value$visible) value$value else invisible(value$value)
      })
      body(f) <- code
      replace_base(name, f)
    }
  }

  options(warn = 1, device = cellbox_device, keep.source = TRUE)

  # A rehearsal, as the JavaScript and Bash workers have: R compiles each closure on its first
  # call (its JIT, which loads the compiler on first use), and this worker's own functions took
  # some 50 ms to compile on every cell's way from its output to `done`. They run here on small
  # cells, a value and an error, their output thrown away, before `ready`.
  rehearse <- function() {
    message <- geterrmessage()
    sink(nullfile())
    # As try() does: the rehearsal's error is not the last one a cell's geterrmessage() sees.
    on.exit({
      sink()
      .Internal(seterrmessage(message))
    })
    # Twice: R compiles most closures at their second call.
    for (pass in 1:2) {
      run_cell(c("cellbox_rehearsal <- 1", "cellbox_rehearsal"))
      run_cell("stop(\"rehearsal\")")
      close_devices()
    }
    rm(list = intersect("cellbox_rehearsal", ls(globalenv())), envir = globalenv())
    error <<- NULL
  }
  rehearse()

  # The cell's last events (its error, `done`) go out through a `cat` started before its code
  # comes: starting one took some 15 ms of every cell's way to its end. Nothing can follow
  # them, so they need no `cat` of their own to keep their order. If the cell closed it (or
  # ended it), they take emit()'s way: after closeAllConnections() a connection of the cell's
  # may have its number, and the events must not land in it.
  last_events <- tryCatch(pipe(TO_EVENTS, open = "w"), error = function(e) NULL, warning = function(w) NULL)
  emit_last <- function(...) {
    lines <- c(...)
    sent <- !is.null(last_events) && tryCatch({
      info <- summary(last_events)
      if (!identical(info$class, "pipe") || !identical(info$description, TO_EVENTS)) stop("not the worker's pipe")
      writeLines(lines, last_events, useBytes = TRUE)
      close(last_events)
      TRUE
    }, error = function(e) FALSE, warning = function(w) FALSE)
    if (!sent) emit(lines)
  }

  version <- paste(R.version$major, R.version$minor, sep = ".")
  emit(paste0("{\"type\":\"ready\",\"language\":\"r\",\"version\":", json_string(version), ",\"interrupt\":true}"))

  run_cell(read_code())
  # The cell has ended: a Stop that lands as its devices close (a device of its own may run a
  # command then: postscript(file = "|cmd")) ends that, not the cell, whose result stands.
  tryCatch(close_devices(), interrupt = function(cond) NULL)
  flush_output()
  tryCatch(flush_files(), interrupt = function(cond) NULL)
  emit_last(error, paste0("{\"type\":\"done\",\"status\":\"", if (is.null(error)) "ok" else "error", "\"}"))
})
