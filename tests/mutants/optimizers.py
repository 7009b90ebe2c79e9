"""Wrong implementations of the optimizers exercises; each must fail at least one test.

Optimizer mutants subclass the solution and replace `update` (or `lr_at`): one wrong
line each, as a learner would write it."""

import math

import numpy as np

from gradeschool.harness.mutants import mutant, solution

S = solution("optimizers")


def _l2(self, param, grad):
    return grad + self.weight_decay * param if self.weight_decay != 0 else grad


# ---------------------------------------------------------------- SGD
def _sgd(dampen_first=False, dampening=True, weight_decay=True, nesterov=True, in_place=True, copy=True):
    """An SGD update with one of its parts switched off."""

    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad) if weight_decay else grad
        if self.momentum != 0:
            buf = state["momentum_buffer"]
            keep = 1 - self.dampening if dampening else 1.0
            if buf is None:
                buf = (keep * g if dampen_first else (np.array(g, copy=True) if copy else g))
                state["momentum_buffer"] = buf
            else:
                buf *= self.momentum
                buf += keep * g
            g = g + self.momentum * buf if (self.nesterov and nesterov) else buf
        if in_place:
            param -= self.lr * g
        else:
            param = param - self.lr * g  # noqa: F841

    return update


@mutant("SGD", "dampening_ignored", "buf = momentum * buf + g whatever the dampening")
class SGD(S.SGD):
    update = _sgd(dampening=False)


@mutant("SGD", "weight_decay_ignored", "never adds weight_decay * param to the gradient")
class SGD(S.SGD):  # noqa: F811
    update = _sgd(weight_decay=False)


@mutant("SGD", "nesterov_as_plain_momentum", "steps along buf even with nesterov=True")
class SGD(S.SGD):  # noqa: F811
    update = _sgd(nesterov=False)


@mutant("SGD", "not_in_place", "param = param - lr * g: rebinds a local name, the caller's array never moves")
class SGD(S.SGD):  # noqa: F811
    update = _sgd(in_place=False)


@mutant("SGD", "dampened_first_buffer", "starts the buffer at (1 - dampening) * g, not at g (torch)")
class SGD(S.SGD):  # noqa: F811
    update = _sgd(dampen_first=True)


@mutant("SGD", "buffer_aliases_grad", "keeps the caller's gradient array as the buffer, then scales it in place")
class SGD(S.SGD):  # noqa: F811
    update = _sgd(copy=False)


@mutant("SGD", "notes_ewa_momentum", "the notes' v = beta v + (1 - beta) g from v = 0, without torch's lr scale")
class SGD(S.SGD):  # noqa: F811
    def update(self, param, grad, state):
        g = _l2(self, param, grad)
        if self.momentum != 0:
            if state["momentum_buffer"] is None:
                state["momentum_buffer"] = np.zeros_like(param)
            v = state["momentum_buffer"]
            v *= self.momentum
            v += (1 - self.momentum) * g
            g = v
        param -= self.lr * g


# ---------------------------------------------------------------- Adagrad
@mutant("Adagrad", "no_accumulation", "s = g**2 at every step instead of s += g**2")
class Adagrad(S.Adagrad):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        state["sum"][...] = state["sum"] * 0 + g * g
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        param -= clr * g / (np.sqrt(state["sum"]) + self.eps)


@mutant("Adagrad", "eps_inside_sqrt", "divides by sqrt(s + eps) instead of sqrt(s) + eps")
class Adagrad(S.Adagrad):  # noqa: F811
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        state["sum"] += g * g
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        param -= clr * g / np.sqrt(state["sum"] + self.eps)


@mutant("Adagrad", "lr_decay_ignored", "uses lr at every step, ignoring lr_decay")
class Adagrad(S.Adagrad):  # noqa: F811
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        state["sum"] += g * g
        param -= self.lr * g / (np.sqrt(state["sum"]) + self.eps)


# ---------------------------------------------------------------- RMSprop
def _rmsprop(decay=True, center=True, momentum=True, eps_inside=False):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        v = state["square_avg"]
        if decay:
            v *= self.alpha
        v += (1 - self.alpha) * g * g
        if self.centered and center:
            a = state["grad_avg"]
            a *= self.alpha
            a += (1 - self.alpha) * g
            var = v - a * a
        else:
            var = v
        avg = np.sqrt(var + self.eps) if eps_inside else np.sqrt(var) + self.eps
        if self.momentum > 0 and momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g / avg
            param -= self.lr * b
        else:
            param -= self.lr * g / avg

    return update


@mutant("RMSprop", "no_decay", "v += (1 - alpha) g**2 without first multiplying v by alpha")
class RMSprop(S.RMSprop):
    update = _rmsprop(decay=False)


@mutant("RMSprop", "centered_ignored", "divides by sqrt(v) even with centered=True")
class RMSprop(S.RMSprop):  # noqa: F811
    update = _rmsprop(center=False)


@mutant("RMSprop", "eps_inside_root", "sqrt(v - a**2 + eps) instead of sqrt(v - a**2) + eps")
class RMSprop(S.RMSprop):  # noqa: F811
    update = _rmsprop(eps_inside=True)


@mutant("RMSprop", "momentum_ignored", "no momentum buffer even with momentum > 0")
class RMSprop(S.RMSprop):  # noqa: F811
    update = _rmsprop(momentum=False)


# ---------------------------------------------------------------- Adadelta
@mutant("Adadelta", "no_update_accumulator", "never updates acc_delta: every step is sqrt(eps) / sqrt(v + eps) * g")
class Adadelta(S.Adadelta):
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        v, u = state["square_avg"], state["acc_delta"]
        v *= self.rho
        v += (1 - self.rho) * g * g
        param -= self.lr * np.sqrt(u + self.eps) / np.sqrt(v + self.eps) * g


@mutant("Adadelta", "new_accumulator_first", "updates acc_delta with the previous delta before using it")
class Adadelta(S.Adadelta):  # noqa: F811
    def update(self, param, grad, state):
        state["step"] += 1
        g = _l2(self, param, grad)
        v, u = state["square_avg"], state["acc_delta"]
        v *= self.rho
        v += (1 - self.rho) * g * g
        previous = state.setdefault("previous_delta", np.zeros_like(param))
        u *= self.rho
        u += (1 - self.rho) * previous * previous
        delta = np.sqrt(u + self.eps) / np.sqrt(v + self.eps) * g
        previous[...] = delta
        param -= self.lr * delta


# ---------------------------------------------------------------- Adam and AdamW
def _adam(correct=True, power_shift=0, eps_inside=False, amsgrad=True, l2=True, decoupled=False):
    """An Adam (or AdamW) update with one part wrong."""

    def update(self, param, grad, state):
        beta1, beta2 = self.betas
        state["step"] += 1
        t = state["step"] + power_shift
        if decoupled:
            param *= 1 - self.lr * self.weight_decay
        g = _l2(self, param, grad) if l2 else grad
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        if self.amsgrad and amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bc1, bc2 = (1 - beta1**t, 1 - beta2**t) if correct else (1.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            denom = np.sqrt(v / bc2 + self.eps) if eps_inside else np.sqrt(v / bc2) + self.eps
            param -= (self.lr / bc1 if bc1 else np.inf) * m / denom

    return update


@mutant("Adam", "no_bias_correction", "m and v used without dividing by 1 - beta**t")
class Adam(S.Adam):
    update = _adam(correct=False)


@mutant("Adam", "bias_power_t_minus_1", "bias corrections 1 - beta**(t - 1): t counted from 0")
class Adam(S.Adam):  # noqa: F811
    update = _adam(power_shift=-1)


@mutant("Adam", "eps_inside_sqrt", "divides by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps")
class Adam(S.Adam):  # noqa: F811
    update = _adam(eps_inside=True)


@mutant("Adam", "amsgrad_ignored", "divides by the current v even with amsgrad=True")
class Adam(S.Adam):  # noqa: F811
    update = _adam(amsgrad=False)


@mutant("Adam", "weight_decay_ignored", "never adds weight_decay * param to the gradient")
class Adam(S.Adam):  # noqa: F811
    update = _adam(l2=False)


@mutant("Adam", "element_loop", "a Python loop over every element: correct, and about 1000x slower")
class Adam(S.Adam):  # noqa: F811
    def update(self, param, grad, state):
        beta1, beta2 = self.betas
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        for idx in np.ndindex(param.shape):
            g = grad[idx] + self.weight_decay * param[idx]
            m[idx] = beta1 * m[idx] + (1 - beta1) * g
            v[idx] = beta2 * v[idx] + (1 - beta2) * g * g
            if self.amsgrad:
                state["max_exp_avg_sq"][idx] = max(state["max_exp_avg_sq"][idx], v[idx])
            vv = state["max_exp_avg_sq"][idx] if self.amsgrad else v[idx]
            denom = math.sqrt(vv) / math.sqrt(1 - beta2**t) + self.eps
            param[idx] -= self.lr / (1 - beta1**t) * m[idx] / denom


@mutant("AdamW", "coupled_weight_decay", "adds weight_decay * param to g (Adam's L2) instead of decaying param")
class AdamW(S.AdamW):
    update = _adam(l2=True, decoupled=False)


@mutant("AdamW", "decay_not_scaled_by_lr", "param *= 1 - weight_decay, without the lr")
class AdamW(S.AdamW):  # noqa: F811
    def update(self, param, grad, state):
        param *= 1 - self.weight_decay
        _adam(l2=False)(self, param, grad, state)


# ---------------------------------------------------------------- ewa
@mutant("ewa", "no_bias_correction", "ignores bias_correction=True: returns v, pulled towards 0 early on")
def ewa(x, beta, bias_correction=True):
    return S.ewa(x, beta, bias_correction=False)


@mutant("ewa", "correction_power_t_minus_1", "divides by 1 - beta**(t - 1) (t counted from 0)")
def ewa(x, beta, bias_correction=True):  # noqa: F811
    v = S.ewa(x, beta, bias_correction=False)
    if not bias_correction:
        return v
    t = np.arange(len(x)).reshape((-1,) + (1,) * (x.ndim - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (v / (1 - beta**t)).astype(x.dtype)


@mutant("ewa", "no_one_minus_beta", "v = beta v + x: a running sum, not an average")
def ewa(x, beta, bias_correction=True):  # noqa: F811
    out = np.empty_like(x)
    v = np.zeros_like(x[0])
    for t in range(1, len(x) + 1):
        v = beta * v + x[t - 1]
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


# ---------------------------------------------------------------- schedules
@mutant("StepLR", "off_by_one_epoch", "decays one epoch early: (epoch + 1) // step_size")
class StepLR(S.StepLR):
    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** ((epoch + 1) // self.step_size)


@mutant("StepLR", "decays_every_epoch", "gamma ** epoch: ignores step_size")
class StepLR(S.StepLR):  # noqa: F811
    def lr_at(self, epoch):
        return self.base_lr * self.gamma**epoch


@mutant("ExponentialLR", "off_by_one_epoch", "gamma ** (epoch + 1): decays already at epoch 0")
class ExponentialLR(S.ExponentialLR):
    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch + 1)


@mutant("CosineAnnealingLR", "off_by_one_epoch", "cos(pi * (epoch + 1) / T_max)")
class CosineAnnealingLR(S.CosineAnnealingLR):
    def lr_at(self, epoch):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * (epoch + 1) / self.T_max)) / 2


@mutant("CosineAnnealingLR", "eta_min_ignored", "anneals from base_lr to 0 whatever eta_min")
class CosineAnnealingLR(S.CosineAnnealingLR):  # noqa: F811
    def lr_at(self, epoch):
        return self.base_lr * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


@mutant("CosineAnnealingLR", "clamped_after_T_max", "stays at eta_min after T_max (torch's cosine climbs back)")
class CosineAnnealingLR(S.CosineAnnealingLR):  # noqa: F811
    def lr_at(self, epoch):
        return S.CosineAnnealingLR.lr_at(self, min(epoch, self.T_max))


# ---------------------------------------------------------------- clipping
@mutant("clip_grad_norm", "per_tensor", "clips each array to max_norm on its own instead of their global norm")
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    norms = [S.clip_grad_norm([g], max_norm, norm_type) for g in grads]
    total = sum(float(n) ** norm_type for n in norms) ** (1 / norm_type) if norm_type != math.inf \
        else max(float(n) for n in norms)
    return grads[0].dtype.type(total)


@mutant("clip_grad_norm", "norm_after_clipping", "returns the norm of the clipped gradients")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    S.clip_grad_norm(grads, max_norm, norm_type)
    return S.clip_grad_norm(grads, 1e300, norm_type)


@mutant("clip_grad_norm", "always_rescaled", "scales to max_norm / total_norm even when the norm is already smaller")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    total = S.clip_grad_norm(grads, 1e300, norm_type)
    for g in grads:
        g *= max_norm / (float(total) + 1e-6)
    return total


@mutant("clip_grad_norm", "always_2_norm", "ignores norm_type: the 2-norm every time")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    return S.clip_grad_norm(grads, max_norm, 2.0)


@mutant("clip_grad_norm", "returns_copies", "clips copies and returns them; the caller's arrays stay as they were")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    return S.clip_grad_norm([g.copy() for g in grads], max_norm, norm_type)


@mutant("clip_grad_value", "only_above", "np.minimum(g, clip_value): large negative gradients pass")
def clip_grad_value(grads, clip_value):
    for g in grads:
        np.minimum(g, clip_value, out=g)


@mutant("clip_grad_value", "not_in_place", "g = np.clip(g, ...) rebinds the loop variable; the caller's arrays stay")
def clip_grad_value(grads, clip_value):  # noqa: F811
    for g in grads:
        g = np.clip(g, -clip_value, clip_value)  # noqa: F841, PLW2901


# ---------------------------------------------------------------- the whole domain, defaults, opt.lr
@mutant("SGD", "slice_assignment", "param[:] = param - lr * g: right for arrays with an axis, an error for 0-d ones")
class SGD(S.SGD):  # noqa: F811
    def update(self, param, grad, state):
        state["step"] += 1
        param[:] = param - self.lr * (grad + self.weight_decay * param)


def _lr_read_once(cls):
    """An optimizer that keeps the lr given to its constructor: a schedule's opt.lr is never seen."""

    class ReadOnce(cls):
        def update(self, param, grad, state):
            first = state.setdefault("first_lr", self.lr)
            lr, self.lr = self.lr, first
            try:
                cls.update(self, param, grad, state)
            finally:
                self.lr = lr

    return ReadOnce


for _name in ("Adam", "Adagrad"):
    mutant(_name, "lr_read_once", "keeps the lr given to the constructor: a schedule's opt.lr is never seen")(
        _lr_read_once(getattr(S, _name)))


@mutant("Adam", "default_eps_1e7", "eps defaults to 1e-7 (Keras's), not torch's 1e-8")
class Adam(S.Adam):  # noqa: F811
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


@mutant("RMSprop", "default_alpha_0_9", "alpha defaults to 0.9 (Keras's rho), not torch's 0.99")
class RMSprop(S.RMSprop):  # noqa: F811
    def __init__(self, params, lr=1e-2, alpha=0.9, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr, alpha, eps, weight_decay, momentum, centered)


@mutant("Adadelta", "default_rho_0_95", "rho defaults to 0.95 (Keras's), not torch's 0.9")
class Adadelta(S.Adadelta):  # noqa: F811
    def __init__(self, params, lr=1.0, rho=0.95, eps=1e-6, weight_decay=0.0):
        super().__init__(params, lr, rho, eps, weight_decay)


@mutant("AdamW", "default_no_decay", "weight_decay defaults to 0 (Adam's), not 1e-2")
class AdamW(S.AdamW):  # noqa: F811
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


@mutant("ewa", "default_uncorrected", "bias_correction defaults to False")
def ewa(x, beta, bias_correction=False):  # noqa: F811
    return S.ewa(x, beta, bias_correction)


@mutant("StepLR", "default_gamma_half", "gamma defaults to 0.5 instead of 0.1")
class StepLR(S.StepLR):  # noqa: F811
    def __init__(self, optimizer, step_size, gamma=0.5):
        super().__init__(optimizer, step_size, gamma)


@mutant("clip_grad_norm", "no_epsilon", "coef = max_norm / total_norm, without torch's + 1e-6")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    total = S.clip_grad_norm([g.copy() for g in grads], 1e300, norm_type)
    coef = min(1.0, max_norm / float(total)) if float(total) else 1.0
    for g in grads:
        g *= coef
    return total


@mutant("clip_grad_norm", "slice_assignment", "g[:] = g * coef: an error for 0-d gradients")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    total = S.clip_grad_norm([g.copy() for g in grads], 1e300, norm_type)
    coef = min(1.0, max_norm / (float(total) + 1e-6))
    for g in grads:
        g[:] = g * coef
    return total


@mutant("clip_grad_norm", "default_1_norm", "norm_type defaults to 1")
def clip_grad_norm(grads, max_norm, norm_type=1.0):  # noqa: F811
    return S.clip_grad_norm(grads, max_norm, norm_type)


@mutant("clip_grad_value", "slice_assignment", "g[:] = np.clip(g, ...): an error for 0-d gradients")
def clip_grad_value(grads, clip_value):  # noqa: F811
    for g in grads:
        g[:] = np.clip(g, -clip_value, clip_value)


# ---------------------------------------------------------------- loops (correct, but slow)
def _row_loop(cls):
    """An optimizer that runs its (right) update one row of each parameter at a time: every
    row has its own state, whose arrays are views of the parameter's state arrays."""

    class Looped(cls):
        def update(self, param, grad, state):
            if param.ndim == 0:
                return cls.update(self, param, grad, state)
            if "_rows" not in state:
                state["_rows"] = [{k: v[i:i + 1] if isinstance(v, np.ndarray) else v for k, v in state.items()}
                                  for i in range(len(param))]
            for i, row in enumerate(state["_rows"]):
                cls.update(self, param[i:i + 1], grad[i:i + 1], row)
            first = state["_rows"][0]
            state["step"] = first["step"]
            if state.get("momentum_buffer", 0) is None and first.get("momentum_buffer") is not None:
                state["momentum_buffer"] = np.concatenate([r["momentum_buffer"] for r in state["_rows"]])
                for i, row in enumerate(state["_rows"]):
                    row["momentum_buffer"] = state["momentum_buffer"][i:i + 1]

    return Looped


for _name in ("SGD", "RMSprop", "Adadelta", "Adam", "AdamW"):
    mutant(_name, "row_loop", "the update run one row of each parameter at a time")(_row_loop(getattr(S, _name)))


@mutant("Adagrad", "element_loop", "the update run one element at a time")
class Adagrad(S.Adagrad):  # noqa: F811
    def update(self, param, grad, state):
        state["step"] += 1
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        s = state["sum"]
        for idx in np.ndindex(param.shape):
            g = grad[idx] + self.weight_decay * param[idx]
            s[idx] += g * g
            param[idx] -= clr * g / (math.sqrt(s[idx]) + self.eps)


@mutant("ewa", "element_loop", "a Python loop over the trailing elements as well as over t")
def ewa(x, beta, bias_correction=True):  # noqa: F811
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape[1:]):
        out[(slice(None), *idx)] = S.ewa(x[(slice(None), *idx)], beta, bias_correction)
    return out


@mutant("clip_grad_norm", "element_loop", "the norm summed one element at a time")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    total = 0.0
    for g in grads:
        for v in g.ravel().tolist():
            total = max(total, abs(v)) if norm_type == math.inf else total + abs(v) ** norm_type
    total = total if norm_type == math.inf else total ** (1 / norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= coef
    return grads[0].dtype.type(total)


@mutant("clip_grad_value", "row_loop", "np.clip one row at a time")
def clip_grad_value(grads, clip_value):  # noqa: F811
    for g in grads:
        if g.ndim == 0:
            np.clip(g, -clip_value, clip_value, out=g)
            continue
        for i in range(len(g)):
            g[i] = np.clip(g[i], -clip_value, clip_value)


@mutant("ExponentialLR", "compounds_current_lr", "lr_at multiplies the optimizer's current lr by gamma: right "
        "only when called once per step(), in order")
class ExponentialLR(S.ExponentialLR):  # noqa: F811
    def lr_at(self, epoch):
        return self.base_lr if epoch == 0 else self.optimizer.lr * self.gamma


@mutant("clip_grad_value", "rebinds_items", "grads[i] = np.clip(grads[i], ...): the list gets new arrays, the "
        "caller's arrays (held elsewhere, as model.grads) stay as they were")
def clip_grad_value(grads, clip_value):  # noqa: F811
    for i, g in enumerate(grads):
        grads[i] = np.clip(g, -clip_value, clip_value)


@mutant("clip_grad_norm", "rebinds_items", "grads[i] = grads[i] * coef: new arrays in the list, the caller's "
        "arrays unchanged")
def clip_grad_norm(grads, max_norm, norm_type=2.0):  # noqa: F811
    total = S.clip_grad_norm([g.copy() for g in grads], 1e300, norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    for i, g in enumerate(grads):
        grads[i] = (g * coef).astype(g.dtype)
    return total
