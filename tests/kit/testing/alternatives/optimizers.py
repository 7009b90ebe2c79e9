"""Correct alternatives for the optimizers exercises (see alternatives/neuron.py): updates
that allocate new state arrays at every step instead of updating them in place, and other
styles."""

import math

import numpy as np

from gradeschool.harness.mutants import mutant as alternative
from gradeschool.harness.mutants import solution

S = solution("optimizers")


def _l2(self, param, grad):
    return grad + self.weight_decay * param


@alternative("SGD", "allocating", "a new buffer array at every step: buf = momentum * buf + (1 - dampening) * g")
class SGD(S.SGD):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        if self.momentum:
            buf = state["momentum_buffer"]
            buf = g.copy() if buf is None else self.momentum * buf + (1 - self.dampening) * g
            state["momentum_buffer"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        param -= self.lr * g


@alternative("Adagrad", "allocating", "state['sum'] = state['sum'] + g**2")
class Adagrad(S.Adagrad):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        state["sum"] = state["sum"] + g**2
        param -= self.lr / (1 + (state["step"] - 1) * self.lr_decay) * g / (np.sqrt(state["sum"]) + self.eps)


@alternative("RMSprop", "allocating", "new square_avg, grad_avg and momentum_buffer arrays at every step")
class RMSprop(S.RMSprop):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        state["square_avg"] = self.alpha * state["square_avg"] + (1 - self.alpha) * g**2
        var = state["square_avg"]
        if self.centered:
            state["grad_avg"] = self.alpha * state["grad_avg"] + (1 - self.alpha) * g
            var = var - state["grad_avg"] ** 2
        avg = np.sqrt(var) + self.eps
        if self.momentum > 0:
            state["momentum_buffer"] = self.momentum * state["momentum_buffer"] + g / avg
            param -= self.lr * state["momentum_buffer"]
        else:
            param -= self.lr * g / avg


@alternative("Adadelta", "allocating", "new square_avg and acc_delta arrays at every step")
class Adadelta(S.Adadelta):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        state["square_avg"] = self.rho * state["square_avg"] + (1 - self.rho) * g**2
        delta = np.sqrt(state["acc_delta"] + self.eps) / np.sqrt(state["square_avg"] + self.eps) * g
        state["acc_delta"] = self.rho * state["acc_delta"] + (1 - self.rho) * delta**2
        param -= self.lr * delta


def _adam(self, param, g, state):
    beta1, beta2 = self.betas
    state["step"] += 1
    t = state["step"]
    state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
    state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
    v = state["exp_avg_sq"]
    if self.amsgrad:
        state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        v = state["max_exp_avg_sq"]
    m_hat = state["exp_avg"] / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@alternative("Adam", "allocating", "new m and v arrays at every step, m_hat and v_hat as the notes write them")
class Adam(S.Adam):
    def update(self, param, grad, state):
        _adam(self, param, _l2(self, param, grad), state)


@alternative("AdamW", "allocating", "decay, then new m and v arrays at every step")
class AdamW(S.AdamW):
    def update(self, param, grad, state):
        param *= 1 - self.lr * self.weight_decay
        _adam(self, param, grad, state)


@alternative("ewa", "in_place_average", "v updated in place, the correction computed for all t at once")
def ewa(x, beta, bias_correction=True):
    out = np.empty_like(x)
    v = np.zeros(x.shape[1:], dtype=x.dtype)
    for t in range(len(x)):
        v *= beta
        v += (1 - beta) * x[t]
        out[t] = v
    if bias_correction:
        out /= (1 - beta ** np.arange(1, len(x) + 1)).reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype)
    return out


@alternative("StepLR", "floor_division", "gamma ** math.floor(epoch / step_size)")
class StepLR(S.StepLR):
    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** math.floor(epoch / self.step_size)


@alternative("clip_grad_norm", "linalg_norm", "np.linalg.norm of every array's norm")
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    norms = [np.linalg.norm(g.ravel().astype(np.float64), ord=norm_type) for g in grads]
    total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        np.multiply(g, coef, out=g, casting="unsafe")
    return grads[0].dtype.type(total)


@alternative("clip_grad_value", "minimum_maximum", "np.maximum then np.minimum, both with out=g")
def clip_grad_value(grads, clip_value):
    for g in grads:
        np.maximum(g, -clip_value, out=g)
        np.minimum(g, clip_value, out=g)
