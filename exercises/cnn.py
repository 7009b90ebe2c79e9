"""Topic 6 — convolution and pooling.

A convolutional layer slides small filters over an image: each output pixel is the sum
of a filter times the patch of the image under it, plus a bias. Padding adds a border of
zeros so that the output keeps the input's size; a stride jumps over positions. Along one
side an input of n pixels, a filter of f, padding p and stride s give

    (n + 2p - f) // s + 1        output pixels.

Pooling summarises each window (its maximum, or its mean) to shrink the image. Deep
learning's "convolution" is a cross-correlation: the filter is NOT flipped (torch's
F.conv2d does the same).

Layout (as torch): images are (N, C, H, W) = (samples, channels, height, width); conv
weights are (F, C, HH, WW) = (filters, channels, filter height, filter width).

Vectorise: a Python loop over output pixels is hundreds of times slower than torch and
fails the speed tests. A loop over the few positions of a kernel (3x3 = 9 of them), each
step working on whole arrays, is fine. numpy.lib.stride_tricks.sliding_window_view gives
every patch of an image at once, without copying.

Conventions: every function returns the input's dtype (float32 in, float32 out) and never
modifies its inputs. Use NumPy and the standard library only.
"""

import numpy as np
from backprop import dense_backward, relu_backward
from losses import sparse_categorical_cross_entropy
from neuron import dense_forward, relu
from numpy.lib.stride_tricks import sliding_window_view
from optimizers import SGD


def pad2d(x, pad):
    """Zero padding of the two last axes (height and width) of a batch of images.

        out[n, c, i + pad, j + pad] = x[n, c, i, j], and 0 in the border.

    Inputs:
    - x: images, shape (N, C, H, W) (N = 0 included).
    - pad: the number of zeros added on EACH side (top, bottom, left and right), an int >= 0.

    Returns:
    - out: shape (N, C, H + 2 * pad, W + 2 * pad), x's dtype.

    Hint: np.pad takes one (before, after) pair per axis: ((0, 0), (0, 0), (pad, pad),
    (pad, pad)) leaves N and C alone.
    """
    # YOUR CODE HERE
    raise NotImplementedError("pad2d is not written yet: see its docstring")


def output_size(n, f, p=0, s=1):
    """Number of positions of a filter along one side of an image.

        output_size = (n + 2p - f) // s + 1      (the floor: a window that would stick
                                                   out of the padded image is dropped)

    Inputs:
    - n: input size (pixels), f: filter size, p: padding on each side, s: stride; ints.

    Returns:
    - an int.

    Hint: with p = 0 and s = 1 this is n - f + 1: a 3x3 filter on a 6x6 image fits in 4x4
    positions. Python's // is the floor division.
    """
    # YOUR CODE HERE
    raise NotImplementedError("output_size is not written yet: see its docstring")


def _patches(xp, hh, ww, stride):
    """Every (hh, ww) patch of padded images xp (N, C, Hp, Wp) at the given stride:
    a read-only view of shape (N, C, H_out, W_out, hh, ww)."""
    return sliding_window_view(xp, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def conv2d_forward(x, w, b, stride=1, padding=0):
    """Forward pass of a convolutional layer (a cross-correlation, as torch's F.conv2d).

        out[n, f, i, j] = b[f] + sum_{c, k, l} xp[n, c, i*s + k, j*s + l] * w[f, c, k, l]

    with xp the input zero-padded by `padding` on every side and s the stride.

    Inputs:
    - x: input images, shape (N, C, H, W).
    - w: filters, shape (F, C, HH, WW).
    - b: biases, shape (F,).
    - stride: step between two filter positions, an int >= 1 (the same along H and W;
      default 1).
    - padding: zeros added on each side of H and W, an int >= 0 (default 0).

    Returns a tuple (out, cache):
    - out: shape (N, F, H_out, W_out) with H_out = output_size(H, HH, padding, stride)
      (and W_out the same along W), x's dtype.
    - cache: what conv2d_backward needs, e.g. (x, w, b, stride, padding).

    Hint: _patches(pad2d(x, padding), HH, WW, stride) (above) gathers every patch at once,
    shape (N, C, H_out, W_out, HH, WW), without copying. One np.tensordot with w over the
    axes (C, HH, WW) gives every output; move the filter axis to position 1 and add
    b[None, :, None, None]. Fastest (im2col): transpose the patches so that (C, HH, WW)
    come first, reshape them into a matrix (C*HH*WW, N*H_out*W_out), and one matrix product
    w.reshape(F, -1) @ cols does it all; keep that matrix in the cache for dw.
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv2d_forward is not written yet: see its docstring")


def conv2d_backward(dout, cache):
    """Backward pass of a convolutional layer.

        db[f]          = sum_{n, i, j} dout[n, f, i, j]
        dw[f, c, k, l] = sum_{n, i, j} dout[n, f, i, j] * xp[n, c, i*s + k, j*s + l]
        dxp[n, c, i*s + k, j*s + l] += sum_f dout[n, f, i, j] * w[f, c, k, l]
                                        (for every i, j, k, l), then dx = dxp without the padding

    Inputs:
    - dout: upstream gradient, shape (N, F, H_out, W_out).
    - cache: the cache returned by conv2d_forward.

    Returns a tuple (dx, dw, db):
    - dx: shape (N, C, H, W); dw: shape (F, C, HH, WW); db: shape (F,); x's dtype.

    Hint: dw is one tensordot (or matrix product) of dout with the patches of the forward
    pass. For dx, first compute the gradient of every patch, e.g. dpatch =
    tensordot(dout, w, axes=([1], [0])) (shape (N, H_out, W_out, C, HH, WW)); then loop
    over the HH * WW kernel positions (k, l) and add that position's slice of dpatch, its
    axes ordered (N, C, H_out, W_out), into dxp[:, :, k:k + s*H_out:s, l:l + s*W_out:s] (a
    strided slice: one whole-array addition per kernel position). Finally crop the padding.
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv2d_backward is not written yet: see its docstring")


def maxpool2d_forward(x, kernel_size, stride=None, padding=0):
    """Forward pass of 2-D max pooling (torch's F.max_pool2d).

        out[n, c, i, j] = max_{k, l < kernel_size} xp[n, c, i*s + k, j*s + l]

    with xp the input padded with -inf (padding never wins the maximum) and s the stride.

    Inputs:
    - x: shape (N, C, H, W).
    - kernel_size: side of the square window, an int.
    - stride: step between windows, an int; None (the default) means kernel_size (windows
      side by side).
    - padding: -inf added on each side of H and W, an int <= kernel_size // 2 (as torch;
      default 0).

    Returns a tuple (out, cache):
    - out: shape (N, C, H_out, W_out), H_out = output_size(H, kernel_size, padding, stride).
    - cache: what maxpool2d_backward needs (e.g. where each maximum was).

    Hint: sliding_window_view of the padded input gives the windows (N, C, H_out, W_out,
    k, k); reshape the two last axes into one of k*k and take argmax: the first maximum,
    row-major. np.take_along_axis picks the values.
    """
    # YOUR CODE HERE
    raise NotImplementedError("maxpool2d_forward is not written yet: see its docstring")


def maxpool2d_backward(dout, cache):
    """Backward pass of 2-D max pooling.

    Each window's upstream gradient goes to the element that won its maximum, and nothing
    to the others. Ties: the gradient goes to the FIRST maximum of the window in row-major
    order (lowest row, then lowest column), that argmax of the flattened window finds.
    Overlapping windows (stride < kernel_size) add up their gradients.

    Inputs:
    - dout: upstream gradient, shape (N, C, H_out, W_out).
    - cache: the cache returned by maxpool2d_forward.

    Returns:
    - dx: shape (N, C, H, W), dout's dtype.

    Hint: loop over the k*k positions (k, l) of the window: where the argmax of a window is
    k*kernel_size + l, add dout into dxp[:, :, k:k + s*H_out:s, l:l + s*W_out:s] (a
    strided slice of the padded gradient); then crop the padding.
    """
    # YOUR CODE HERE
    raise NotImplementedError("maxpool2d_backward is not written yet: see its docstring")


def avgpool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Forward pass of 2-D average pooling (torch's F.avg_pool2d).

        out[n, c, i, j] = sum_{k, l < kernel_size} xp[n, c, i*s + k, j*s + l] / count

    with xp the input zero-padded and count = kernel_size**2 when count_include_pad is True
    (the padding zeros count), else the number of window elements inside the real image.

    Inputs:
    - x: shape (N, C, H, W).
    - kernel_size: side of the square window, an int.
    - stride: an int; None (the default) means kernel_size.
    - padding: zeros on each side of H and W, an int <= kernel_size // 2 (as torch; default 0).
    - count_include_pad: whether the padding zeros count in the divisor (default True, as
      torch).

    Returns a tuple (out, cache):
    - out: shape (N, C, H_out, W_out), x's dtype.
    - cache: what avgpool2d_backward needs.

    Hint: the windows' sum over their two last axes, divided by the count. To count the real
    pixels of each window, pool an image of ones padded with zeros the same way.
    """
    # YOUR CODE HERE
    raise NotImplementedError("avgpool2d_forward is not written yet: see its docstring")


def avgpool2d_backward(dout, cache):
    """Backward pass of 2-D average pooling.

    Every element of a window receives dout / count of that window (count as in the
    forward pass); overlapping windows add up.

    Inputs:
    - dout: upstream gradient, shape (N, C, H_out, W_out).
    - cache: the cache returned by avgpool2d_forward.

    Returns:
    - dx: shape (N, C, H, W), dout's dtype.

    Hint: loop over the k*k window positions (k, l) and add dout / count into the strided
    slice dxp[:, :, k:k + s*H_out:s, l:l + s*W_out:s]; then crop the padding.
    """
    # YOUR CODE HERE
    raise NotImplementedError("avgpool2d_backward is not written yet: see its docstring")


def flatten_forward(x):
    """Flatten every sample into a row, for the dense layers after the convolutions.

        out[n] = x[n].ravel()      (C order: the last axis varies fastest, as torch.flatten)

    Inputs:
    - x: shape (N, d1, d2, ...), e.g. (N, C, H, W).

    Returns a tuple (out, cache):
    - out: shape (N, d1 * d2 * ...), x's dtype.
    - cache: x's shape.

    Hint: x.reshape(N, -1).
    """
    # YOUR CODE HERE
    raise NotImplementedError("flatten_forward is not written yet: see its docstring")


def flatten_backward(dout, cache):
    """Backward pass of flatten: give the gradient the input's shape back.

    Inputs:
    - dout: shape (N, D).
    - cache: the input's shape, from flatten_forward.

    Returns:
    - dx: shape cache.

    Hint: the reverse reshape, in the same (C) order.
    """
    # YOUR CODE HERE
    raise NotImplementedError("flatten_backward is not written yet: see its docstring")


def sobel_edges(x, padding=0):
    """Edge maps of grey images with the Sobel filters of the notes.

        vertical edges:   [[1, 0, -1],      horizontal edges:  [[ 1,  2,  1],
                           [2, 0, -2],                          [ 0,  0,  0],
                           [1, 0, -1]]                          [-1, -2, -1]]

    Each filter is slid over the image as in conv2d_forward (a cross-correlation, no
    flipping, no bias). The vertical filter responds where brightness changes from left to
    right (a vertical edge: bright on the left gives a positive value), the horizontal one
    where it changes from top to bottom.

    Inputs:
    - x: grey images, shape (N, 1, H, W).
    - padding: zeros added on each side, an int >= 0 (default 0; 1 keeps the size H x W).

    Returns:
    - edges: shape (N, 2, H + 2*padding - 2, W + 2*padding - 2), x's dtype; channel 0 holds
      the vertical edges, channel 1 the horizontal edges.

    Hint: stack the two filters into weights of shape (2, 1, 3, 3) and reuse your
    conv2d_forward with a zero bias.
    """
    # YOUR CODE HERE
    raise NotImplementedError("sobel_edges is not written yet: see its docstring")


class CNN:
    """Capstone: a small convolutional network for the 8x8 grey digits, from your own layers.

        conv 3x3 (padding 1, `filters` filters) -> relu -> max pool 2x2 -> flatten
        -> dense (filters*4*4 -> hidden) -> relu -> dense (hidden -> classes) = scores

    trained with softmax cross-entropy (losses.sparse_categorical_cross_entropy) and SGD
    with momentum (optimizers.SGD). The layers of the other topics are imported at the top
    of this file: dense_forward and relu (neuron), dense_backward and relu_backward
    (backprop); they must work for the CNN to.

    Parameters are in `self.params`: "W1" (filters, 1, 3, 3), "b1" (filters,),
    "W2" (filters*16, hidden), "b2" (hidden,), "W3" (hidden, classes), "b3" (classes,).
    Dense weights are stored (in_features, out_features) as dense_forward expects. After
    `backward`, `self.grads` holds the gradient of each parameter under the same keys.
    """

    def __init__(self, filters=8, hidden=64, classes=10, seed=0, dtype=np.float64):
        """He-initialised weights (normal, std sqrt(2 / fan_in)) and zero biases (given)."""
        rng = np.random.default_rng(seed)

        def he(shape, fan_in):
            return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)

        self.params = {
            "W1": he((filters, 1, 3, 3), 9),
            "b1": np.zeros(filters, dtype=dtype),
            "W2": he((filters * 16, hidden), filters * 16),
            "b2": np.zeros(hidden, dtype=dtype),
            "W3": he((hidden, classes), hidden),
            "b3": np.zeros(classes, dtype=dtype),
        }
        self.grads = {}
        self.cache = None

    def forward(self, x):
        """Scores of a batch of images x (N, 1, 8, 8): returns logits (N, classes), x's dtype.

        Keep in `self.cache` what backward needs (every layer's cache, the inputs of relu).

        Hint: conv2d_forward(x, W1, b1, stride=1, padding=1), relu, maxpool2d_forward(., 2),
        flatten_forward, dense_forward, relu, dense_forward.
        """
        # YOUR CODE HERE
        raise NotImplementedError("forward is not written yet: see its docstring")

    def backward(self, dscores):
        """Backpropagate dscores (N, classes), the gradient of the loss w.r.t. the scores of
        the last forward pass.

        Fills `self.grads` (the keys and shapes of `self.params`) and returns dx, the
        gradient w.r.t. the input images (N, 1, 8, 8).

        Hint: the layers in reverse order, each backward function taking the cache that its
        forward function returned: dense_backward, relu_backward, dense_backward,
        flatten_backward, maxpool2d_backward, relu_backward, conv2d_backward.
        """
        # YOUR CODE HERE
        raise NotImplementedError("backward is not written yet: see its docstring")

    def loss(self, x, y):
        """Mean softmax cross-entropy of a batch; fills self.grads with its gradients.

            loss = -mean_n log softmax(scores[n])[y[n]]

        Inputs:
        - x: images (N, 1, 8, 8); y: class indices (N,), int.

        Returns:
        - loss: a Python float (float(...) converts the NumPy scalar of a float32 model,
          np.float32, which is not one).

        Hint: forward, then sparse_categorical_cross_entropy(scores, y) (it returns the
        gradient w.r.t. the scores too), then backward.
        """
        # YOUR CODE HERE
        raise NotImplementedError("loss is not written yet: see its docstring")

    def fit(self, x, y, epochs=10, lr=0.05, momentum=0.9, batch_size=32, seed=0):
        """Train with mini-batch SGD with momentum (optimizers.SGD, torch.optim.SGD's rule).

        Each epoch visits the samples once, in the order np.random.default_rng(seed)
        .permutation(N) (one generator for the whole training, a fresh permutation each
        epoch), batch_size samples at a time (the last batch may be smaller): loss (which
        fills self.grads), then one optimizer step on every parameter.

        Inputs:
        - x: images (N, 1, 8, 8); y: class indices (N,).
        - epochs, lr, momentum, batch_size, seed: as above.

        Returns:
        - the list of the mean batch loss of each epoch.

        Hint: SGD(list(self.params.values()), lr=lr, momentum=momentum) updates the arrays of
        self.params in place; step it with the gradients in the same order of keys.
        """
        # YOUR CODE HERE
        raise NotImplementedError("fit is not written yet: see its docstring")

    def predict(self, x):
        """Predicted class of each image of x (N, 1, 8, 8): an int array (N,).

        Hint: the class with the highest score.
        """
        # YOUR CODE HERE
        raise NotImplementedError("predict is not written yet: see its docstring")
