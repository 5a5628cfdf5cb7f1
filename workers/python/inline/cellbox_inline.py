# Matplotlib backend for Cellbox cells (MPLBACKEND=module://cellbox_inline): figures are drawn
# with Agg, and plt.show() shows them in the cell's output at once, as in Jupyter's inline
# backend. The kernel shows the figures still open when the cell ends.
import sys

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(block=None):
    # Outside the kernel (a Python the cell started) there is nowhere to show: like Agg.
    kernel = sys.modules.get('cellbox_kernel')
    if kernel is not None:
        kernel.show_figures()
