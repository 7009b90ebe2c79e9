"""Topic 4 — optimizers: from gradient descent to Adam.

Training repeats one move: compute the gradient g of the loss w.r.t. every parameter p,
then step p downhill. Plain gradient descent steps p <- p - lr * g. Its refinements keep
running averages of past gradients:

- momentum averages g itself (a velocity that smooths out zig-zags);
- Adagrad, RMSprop and Adadelta average g**2 and divide by its root (a step per parameter);
- Adam does both, with a bias correction for averages that start at zero.

The running average behind all of them is the exponentially weighted average (EWA)
v_t = beta * v_{t-1} + (1 - beta) * x_t of the notes (`ewa` below).

Conventions, as in torch.optim:
- An optimizer is built from a list of parameter arrays (of any shapes, 0-d included),
  `opt = Adam(params, lr=1e-3)`; every hyperparameter defaults to torch.optim's value.
  `opt.step(grads)` takes the gradients (a list of arrays in the same order and shapes)
  and updates every parameter IN PLACE: the arrays you passed in change; the gradients
  do not.
- Each parameter has a state dict, `opt.state[i]`, holding the running averages (zero
  arrays of the parameter's shape and dtype, created for you) and "step", the number of
  updates so far. The names are torch's, so you can compare with `torch_opt.state[p]`.
- `opt.lr` is the current learning rate; a schedule (StepLR, ...) changes it between steps,
  so read self.lr at every step.
- float32 parameters stay float32 (in-place updates keep the dtype).
You write each optimizer's `update(param, grad, state)`: the step for one parameter.
Use NumPy and the standard library only.
"""

import math

import numpy as np


# ---------------------------------------------------------------- given: the optimizer frame
class Optimizer:
    """The part every optimizer shares (given, nothing to write here).

    Inputs:
    - params: list of float arrays (float32 or float64), updated in place by `step`.
    - lr: learning rate, a float (read as `self.lr` at every step).
    - state: one dict per parameter: name -> zero array of the parameter's shape and dtype,
      (None for a buffer created at the first step), plus "step": 0.
    """

    def __init__(self, params, lr, state=()):
        self.params = list(params)
        for i, p in enumerate(self.params):
            if type(p) is not np.ndarray or p.dtype.kind != "f":
                raise TypeError(f"parameter {i} must be a float numpy array, got {type(p).__name__}")
        self.lr = lr
        self.state = [self._new_state(p, state) for p in self.params]

    @staticmethod
    def _new_state(p, names):
        state = {"step": 0}
        for name in names:
            state[name] = np.zeros_like(p)
        return state

    def step(self, grads):
        """Update every parameter in place from its gradient: one call per training step."""
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"step got {len(grads)} gradients for {len(self.params)} parameters")
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if g.shape != p.shape:
                raise ValueError(f"gradient {i} has shape {g.shape}, parameter {i} has {p.shape}")
        for p, g, state in zip(self.params, grads, self.state, strict=True):
            self.update(p, g, state)

    def update(self, param, grad, state):
        raise NotImplementedError("each optimizer writes its own update")


# ---------------------------------------------------------------- the running average
def ewa(x, beta, bias_correction=True):
    """Exponentially weighted average of a sequence, along axis 0.

        v_0 = 0
        v_t = beta * v_{t-1} + (1 - beta) * x_t          t = 1, ..., T
            = (1 - beta) * sum_{i=1..t} beta**(t - i) * x_i

    Starting from 0 pulls the early averages towards 0: their weights sum to only
    1 - beta**t. The bias correction divides that out:

        v_hat_t = v_t / (1 - beta**t)

    Inputs:
    - x: the sequence, shape (T, ...) with T >= 1: x[t - 1] is x_t (any trailing shape).
    - beta: the decay, 0 <= beta < 1 (0.9 averages over roughly the last 10 values).
    - bias_correction: return v_hat (True, the default) or v (False).

    Returns:
    - array of x's shape and dtype: element t - 1 is v_t (or v_hat_t).

    Hint: loop over t (the recursion is sequential) and work on whole slices x[t - 1];
    keep v in x's dtype.
    """
    # YOUR CODE HERE
    raise NotImplementedError("ewa is not written yet: see its docstring")


# ---------------------------------------------------------------- the optimizers
class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    For each parameter p with gradient g (torch.optim.SGD's order):

        g <- g + weight_decay * p                       (L2 weight decay)
        if momentum != 0:
            b <- g                                      at the first step
            b <- momentum * b + (1 - dampening) * g     afterwards
            g <- g + momentum * b   if nesterov   else   g <- b
        p <- p - lr * g

    Two ways to write momentum. The notes write it as an EWA of the gradients,
    v <- beta * v + (1 - beta) * g (v = 0 at first), p <- p - alpha * v. torch (and this
    exercise) writes b <- mu * b + g, p <- p - lr * b. With mu = beta and dampening = 0,
    b_t = v_t / (1 - beta) at every step, so the two give the same steps when
    lr = alpha * (1 - beta). With dampening = 1 - beta, torch's recursion is the notes'
    EWA, except that b starts at g_1 (not (1 - beta) * g_1); the difference,
    beta**t * g_1, fades away.

    Inputs:
    - params: list of float arrays, updated in place.
    - lr: learning rate (torch's default 1e-3).
    - momentum: mu, 0 for plain SGD.
    - dampening: how much of g the buffer leaves out (1 - dampening multiplies g).
    - nesterov: look ahead: step along g + mu * b instead of b.
    - weight_decay: L2 penalty coefficient, added to the gradient.

    state[i]: {"step": int, "momentum_buffer": None until the first step with momentum}.
    torch's SGD keeps no step count, so state["step"] is not compared for SGD (count the
    steps as the other optimizers do); the momentum buffer is compared with torch's.

    Hint: `param -= lr * g` updates the caller's array; `param = param - lr * g` only
    rebinds a local name. Store the buffer as a copy of g (never g itself: it is the
    caller's array).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov
        self.weight_decay = weight_decay
        for state in self.state:
            state["momentum_buffer"] = None

    def update(self, param, grad, state):
        """One SGD step for one parameter: param (updated in place), its grad, its state."""
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")


class Adagrad(Optimizer):
    """Adagrad: divide each parameter's step by the root of its summed squared gradients.

        t <- t + 1
        g <- g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s <- s + g**2                        (s starts at initial_accumulator_value)
        p <- p - clr * g / (sqrt(s) + eps)

    Parameters with large past gradients take small steps. s only grows, so the steps
    shrink for good: what RMSprop fixes.

    Inputs:
    - params: list of float arrays, updated in place.
    - lr: learning rate (default 1e-2).
    - lr_decay: decay of the learning rate with the step count.
    - weight_decay: L2 penalty coefficient, added to the gradient.
    - initial_accumulator_value: the starting value of s.
    - eps: added to sqrt(s) (outside the root) so that s = 0 does not divide by zero.

    state[i]: {"step": int, "sum": s}.

    Hint: update the state arrays in place too (`s += g * g`), so that opt.state shows them.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10):
        super().__init__(params, lr, ["sum"])
        self.lr_decay, self.weight_decay, self.eps = lr_decay, weight_decay, eps
        for state in self.state:
            state["sum"] += initial_accumulator_value

    def update(self, param, grad, state):
        """One Adagrad step for one parameter."""
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")


class RMSprop(Optimizer):
    """RMSprop: Adagrad with a leaky (exponentially weighted) average of g**2.

        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g**2                   (an EWA with beta = alpha)
        centered:  a <- alpha * a + (1 - alpha) * g;  avg = sqrt(v - a**2) + eps
        otherwise: avg = sqrt(v) + eps
        momentum > 0:  b <- momentum * b + g / avg;  p <- p - lr * b
        otherwise:     p <- p - lr * g / avg

    No bias correction here (torch has none): v starts at 0, so the first steps are
    large. Centered RMSprop divides by an estimate of the standard deviation of g
    instead of its root mean square.

    Inputs:
    - params: list of float arrays, updated in place.
    - lr: learning rate (default 1e-2).
    - alpha: decay of the average of g**2 (default 0.99).
    - eps: added to the root (outside it).
    - weight_decay: L2 penalty coefficient, added to the gradient.
    - momentum: momentum of the scaled steps (0: none).
    - centered: subtract the squared average gradient.

    state[i]: {"step", "square_avg": v, "grad_avg": a, "momentum_buffer": b}.

    Hint: `v *= alpha; v += (1 - alpha) * g * g` keeps v in place.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr, ["square_avg", "grad_avg", "momentum_buffer"])
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered

    def update(self, param, grad, state):
        """One RMSprop step for one parameter."""
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")


class Adadelta(Optimizer):
    """Adadelta: RMSprop whose step size comes from the average of past updates.

        g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * delta**2
        p <- p - lr * delta

    u (the update accumulator) is the EWA of the squared updates: the ratio of the two
    roots gives each step the units of p, and lr (default 1.0) only scales it. Here eps
    goes INSIDE both roots (unlike Adam and RMSprop).

    Inputs:
    - params: list of float arrays, updated in place.
    - lr: scale of the update (default 1.0).
    - rho: decay of both averages (default 0.9).
    - eps: added inside the roots (default 1e-6).
    - weight_decay: L2 penalty coefficient, added to the gradient.

    state[i]: {"step", "square_avg": v, "acc_delta": u}.

    Hint: compute delta with the OLD u, then update u with that delta.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, lr, ["square_avg", "acc_delta"])
        self.rho, self.eps, self.weight_decay = rho, eps, weight_decay

    def update(self, param, grad, state):
        """One Adadelta step for one parameter."""
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")


class Adam(Optimizer):
    """Adam: momentum (an EWA of g) divided by the root of an EWA of g**2, both bias-corrected.

        t <- t + 1
        g <- g + weight_decay * p                       (L2, "coupled": see AdamW)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)                      (bias corrections: m, v start at 0)
        v_hat = v / (1 - beta2**t)
        amsgrad: v_max <- max(v_max, v);  v_hat = v_max / (1 - beta2**t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    t counts from 1 at the first step. eps goes outside the root, after the bias
    correction.

    Inputs:
    - params: list of float arrays, updated in place.
    - lr: learning rate (default 1e-3).
    - betas: (beta1, beta2), default (0.9, 0.999).
    - eps: default 1e-8.
    - weight_decay: L2 penalty coefficient, added to the gradient.
    - amsgrad: divide by the largest v seen so far instead of the current v.

    state[i]: {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": v_max}.

    Two methods to write: `update` adds the L2 term to the gradient and calls `adam_step`,
    which does everything else (AdamW reuses it with its own decay).

    Hint: with 1 - beta**t for t = 1 the corrections are exact for a constant gradient:
    m_hat = g. Keep m, v and v_max in place (`m *= beta1; m += (1 - beta1) * g`).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr, ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if amsgrad else []))
        self.betas, self.eps, self.weight_decay, self.amsgrad = tuple(betas), eps, weight_decay, amsgrad

    def update(self, param, grad, state):
        """One Adam step for one parameter: the L2 term added to g, then `adam_step`."""
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")

    def adam_step(self, param, g, state):
        """The Adam step proper (t, m, v, the bias corrections, the update of param) for the
        gradient g; AdamW reuses it after its own decay."""
        # YOUR CODE HERE
        raise NotImplementedError("adam_step is not written yet: see its docstring")


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay.

    Adam's weight decay adds weight_decay * p to g, so the decay passes through the
    division by sqrt(v_hat): parameters with large gradients are barely decayed. AdamW
    decays the parameter directly, before the Adam step, and leaves g alone:

        p <- p * (1 - lr * weight_decay)
        then Adam's step with g (no weight_decay term in g)

    Inputs: as Adam, with weight_decay defaulting to 1e-2.

    state[i]: as Adam.

    Hint: the decay multiplies p in place and is scaled by lr; Adam's `adam_step` does the
    rest, with the gradient as it is.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def update(self, param, grad, state):
        """One AdamW step for one parameter: the decoupled decay, then Adam's step on g."""
        # YOUR CODE HERE
        raise NotImplementedError("update is not written yet: see its docstring")


# ---------------------------------------------------------------- learning-rate schedules
class LRScheduler:
    """The part every schedule shares (given, nothing to write here).

    A schedule sets `optimizer.lr` from the epoch number. Call `scheduler.step()` once
    at the end of every epoch (after that epoch's optimizer steps), as in torch:

        for epoch in range(epochs):
            for batch in batches: opt.step(grads)
            scheduler.step()

    Inputs:
    - optimizer: anything with a `lr` attribute (your SGD, Adam, ...); its lr when the
      schedule is made is base_lr, the lr of epoch 0.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def step(self):
        """End of an epoch: move to the next epoch and set its learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self):
        return self.optimizer.lr

    def lr_at(self, epoch):
        raise NotImplementedError("each schedule writes its own lr_at")


class StepLR(LRScheduler):
    """Step decay: multiply the learning rate by gamma every step_size epochs.

        lr(epoch) = base_lr * gamma ** (epoch // step_size)

    Epochs count from 0: epochs 0 .. step_size - 1 use base_lr.

    Inputs:
    - optimizer: has a `lr` attribute.
    - step_size: epochs between two decays.
    - gamma: the decay factor (default 0.1).
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        """The learning rate of epoch `epoch` (a float; epoch 0 is the first)."""
        # YOUR CODE HERE
        raise NotImplementedError("lr_at is not written yet: see its docstring")


class ExponentialLR(LRScheduler):
    """Exponential decay: multiply the learning rate by gamma every epoch.

        lr(epoch) = base_lr * gamma ** epoch

    Inputs:
    - optimizer: has a `lr` attribute.
    - gamma: the decay factor per epoch.
    """

    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        """The learning rate of epoch `epoch`."""
        # YOUR CODE HERE
        raise NotImplementedError("lr_at is not written yet: see its docstring")


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: from base_lr down to eta_min along half a cosine over T_max epochs.

        lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    lr(0) = base_lr and lr(T_max) = eta_min. After T_max the formula goes on: the cosine
    climbs back to base_lr at 2 * T_max, and so on (torch does the same).

    Inputs:
    - optimizer: has a `lr` attribute.
    - T_max: epochs from base_lr to eta_min.
    - eta_min: the smallest learning rate (default 0).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch):
        """The learning rate of epoch `epoch`."""
        # YOUR CODE HERE
        raise NotImplementedError("lr_at is not written yet: see its docstring")


# ---------------------------------------------------------------- gradient clipping
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """Clip a list of gradients IN PLACE so that their global norm is at most max_norm.

    The norm is over all the gradients together, as if they were one long vector:

        total_norm = (sum_over_arrays sum_elements |g|**norm_type) ** (1 / norm_type)
                     (norm_type = inf: the largest |g| of them all)
        coef = min(1, max_norm / (total_norm + 1e-6))
        g <- g * coef          for every array g

    (torch.nn.utils.clip_grad_norm_, its 1e-6 included.) Scaling every array by the same
    coef keeps the direction of the whole gradient; clipping each array on its own would
    not.

    Inputs:
    - grads: a non-empty list of float arrays (any shapes, 0-d included), modified in place.
    - max_norm: the largest norm allowed.
    - norm_type: p of the p-norm, any p >= 1 (default 2.0) or math.inf.

    Returns:
    - total_norm: the norm BEFORE clipping, a NumPy scalar of the gradients' dtype.

    Hint: the 2-norm of all arrays is sqrt(sum of every array's sum of squares): one
    number per array, then combine them.
    """
    # YOUR CODE HERE
    raise NotImplementedError("clip_grad_norm is not written yet: see its docstring")


def clip_grad_value(grads, clip_value):
    """Clip every gradient element IN PLACE to the interval [-clip_value, clip_value].

        g <- min(max(g, -clip_value), clip_value)      for every element of every array

    (torch.nn.utils.clip_grad_value_.) Unlike clip_grad_norm this changes the direction
    of the gradient.

    Inputs:
    - grads: list of float arrays (any shapes, 0-d included), modified in place.
    - clip_value: a positive float.

    Returns:
    - None.

    Hint: np.clip(g, lo, hi, out=g) writes into g itself.
    """
    # YOUR CODE HERE
    raise NotImplementedError("clip_grad_value is not written yet: see its docstring")
