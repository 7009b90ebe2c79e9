"""Hand-written, distinct implementations of two exercises (bodies only, under the stub's
signature and docstring), and the planted copies: a classmate's code with every name
changed and the layout and comments altered, and the reference solution likewise."""

PERCEPTRON_TRAIN = {
    "ada": """
    n, d = x.shape
    weights = np.zeros(d, dtype=x.dtype)
    bias = 0.0
    history = []
    epoch = 0
    while epoch < epochs:
        count = 0
        i = 0
        while i < n:
            guess = 1.0 if np.dot(x[i], weights) + bias >= 0 else 0.0
            delta = y[i] - guess
            if delta:
                weights = weights + (lr * delta) * x[i]
                bias = bias + lr * delta
                count += 1
            i += 1
        history.append(int(count))
        epoch += 1
        if count == 0:
            break
    return weights.astype(x.dtype), float(bias), history
""",
    "bob": """
    w = np.zeros(x.shape[1], dtype=x.dtype)
    b = 0.0
    log = []
    converged = False
    for epoch in range(epochs):
        if converged:
            break
        errors = 0
        for idx, sample in enumerate(x):
            predicted = step(sample @ w + b)
            update = lr * (y[idx] - predicted)
            if update != 0:
                w = (w + update * sample).astype(x.dtype)
                b = b + float(update)
                errors = errors + 1
        log.append(errors)
        converged = errors == 0
    return w, b, log
""",
    "carol": """
    xa = np.hstack([x, np.ones((x.shape[0], 1), dtype=x.dtype)])
    theta = np.zeros(xa.shape[1])
    counts = []
    for _ in range(epochs):
        wrong_here = 0
        for row, target in zip(xa, y):
            out = float(row @ theta >= 0.0)
            if out != target:
                theta += lr * (target - out) * row
                wrong_here += 1
        counts.append(wrong_here)
        if not wrong_here:
            break
    return theta[:-1].astype(x.dtype), float(theta[-1]), counts
""",
    "dan": """
    def one_pass(w, b):
        misses = 0
        for k in range(len(y)):
            err = y[k] - (1 if x[k].dot(w) + b >= 0 else 0)
            if err != 0:
                w = w + lr * err * x[k]
                b += lr * err
                misses += 1
        return w, b, misses

    w, b, per_epoch = np.zeros(x.shape[-1], x.dtype), 0.0, []
    for _ in range(epochs):
        w, b, m = one_pass(w, b)
        per_epoch.append(m)
        if m == 0:
            break
    return np.asarray(w, dtype=x.dtype), b, per_epoch
""",
    # bob's, every name changed, blank lines and comments added
    "mallory": """
    # start from zero
    weights_vec = np.zeros(x.shape[1], dtype=x.dtype)
    offset = 0.0

    mistake_list = []
    done = False
    for ep in range(epochs):
        if done:
            break  # nothing left to learn
        n_wrong = 0
        for j, features in enumerate(x):
            yhat = step(features @ weights_vec + offset)
            change = lr * (y[j] - yhat)
            if change != 0:
                weights_vec = (weights_vec + change * features).astype(x.dtype)
                offset = offset + float(change)
                n_wrong = n_wrong + 1
        mistake_list.append(n_wrong)
        done = n_wrong == 0
    return weights_vec, offset, mistake_list
""",
    # the reference solution's, every name changed
    "eve": """
    weights = np.zeros(x.shape[1], dtype=x.dtype)
    bias_term = 0.0
    errs = []
    for _ in range(epochs):
        bad = 0
        for row, target in zip(x, y, strict=True):
            e = float(target) - float(row @ weights + bias_term >= 0)
            if e != 0.0:
                weights = (weights + lr * e * row).astype(x.dtype)
                bias_term += lr * e
                bad += 1
        errs.append(bad)
        if bad == 0:
            break
    return weights, bias_term, errs
""",
}

MLP_FORWARD = {
    "ada": """
    acts = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax}
    h = x
    L = len(weights)
    for i in range(L):
        h = h @ weights[i] + biases[i]
        fn = activation if i < L - 1 else output_activation
        if fn:
            h = acts[fn](h)
    return h
""",
    "bob": """
    out = x
    pairs = list(zip(weights, biases))
    for W, b in pairs[:-1]:
        out, _ = dense_forward(out, W, b)
        out = globals()[activation](out)
    W_last, b_last = pairs[-1]
    out, _ = dense_forward(out, W_last, b_last)
    if output_activation == "sigmoid":
        out = sigmoid(out)
    elif output_activation == "softmax":
        out = softmax(out)
    elif output_activation is not None:
        out = {"relu": relu, "tanh": tanh}[output_activation](out)
    return out
""",
    "carol": """
    def apply(name, z):
        if name is None:
            return z
        if name == "relu":
            return np.maximum(z, 0)
        if name == "sigmoid":
            return sigmoid(z)
        if name == "tanh":
            return np.tanh(z)
        return softmax(z)

    a = x
    for layer_index, (weight, bias) in enumerate(zip(weights, biases)):
        a = a @ weight + bias
        is_last = layer_index == len(weights) - 1
        a = apply(output_activation if is_last else activation, a)
    return a.astype(x.dtype)
""",
    "dan": """
    from functools import reduce

    names = [activation] * (len(weights) - 1) + [output_activation]
    table = dict(relu=relu, sigmoid=sigmoid, tanh=tanh, softmax=softmax)

    def layer(a, spec):
        (W, b), name = spec
        z = dense_forward(a, W, b)[0]
        return z if name is None else table[name](z)

    return reduce(layer, zip(zip(weights, biases), names), x)
""",
    # carol's, every name changed
    "trent": """
    def g(kind, values):
        if kind is None:
            return values
        if kind == "relu":
            return np.maximum(values, 0)
        if kind == "sigmoid":
            return sigmoid(values)
        if kind == "tanh":
            return np.tanh(values)
        return softmax(values)
    act = x
    for k, (Wk, bk) in enumerate(zip(weights, biases)):
        act = act @ Wk + bk
        final = k == len(weights) - 1
        act = g(output_activation if final else activation, act)
    return act.astype(x.dtype)
""",
}
