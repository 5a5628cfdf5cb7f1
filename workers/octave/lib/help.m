## help: Octave's own. For a function this folder shadows (print, input, pause, exit … and help
## itself) Octave's help would read this folder's file and show the worker's comments, not the
## function's documentation: the folder leaves the path while Octave's help runs.
function varargout = help (varargin)
  lib = fileparts (mfilename ("fullpath"));
  shadowed = nargin == 1 && ischar (varargin{1}) && ! strncmp (varargin{1}, "__cellbox_", 10) ...
             && exist (fullfile (lib, [varargin{1} ".m"]), "file") == 2;
  if (shadowed)
    rmpath (lib);
  endif
  unwind_protect
    [varargout{1:nargout}] = help_of_octave (varargin{:});
  unwind_protect_cleanup
    if (shadowed)
      state = warning ("off", "Octave:shadowed-function");
      addpath (lib);
      warning (state);
    endif
  end_unwind_protect
endfunction

function varargout = help_of_octave (varargin)
  f = getappdata (0, "__cellbox_help__");
  [varargout{1:nargout}] = f (varargin{:});
endfunction
