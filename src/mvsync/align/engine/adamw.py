"""AdamW (Loshchilov & Hutter, decoupled weight decay) in a few foreach operations, without ``torch.optim``.

Why not ``torch.optim.AdamW``: the first call to any of its methods imports ``torch._dynamo`` (they are wrapped to
keep the compiler out), 1.05-1.28 s per process on this project's CPUs. ``mvsync sync --method tpl`` fits for 100
steps of about 30 ms, so that import was a quarter of its fit. This is the update ``torch.optim.AdamW`` makes with
its default options (no amsgrad, no maximize), element for element, so the results are the same to the last bit on
CPU (tested), and :meth:`AdamW.state_dict` has torch's layout: a checkpoint's optimizer state loads in either.

>>> import torch
>>> weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
>>> opt = AdamW([weight], lr=0.1, weight_decay=0.0)
>>> (weight ** 2).sum().backward()
>>> opt.step()
>>> weight.data  # each coordinate moved by lr against its gradient's sign (Adam's first step)
tensor([ 0.9000, -1.9000])
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import Tensor

from ...errors import ConfigError


class AdamW:
    """AdamW over ``params`` (one parameter group), with torch's defaults for ``betas`` and ``eps``."""

    def __init__(self, params: Iterable[Tensor], *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        self.params = list(params)
        if not self.params:
            raise ConfigError("AdamW: got an empty parameter list")
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.state: dict[int, dict[str, Any]] = {}  # by parameter index: step (int), exp_avg, exp_avg_sq

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        for i in live:
            if i not in self.state:
                p = self.params[i]
                self.state[i] = {"step": 0, "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
            self.state[i]["step"] += 1
        params = [self.params[i] for i in live]
        grads = [p.grad for p in params]
        exp_avgs = [self.state[i]["exp_avg"] for i in live]
        exp_avg_sqs = [self.state[i]["exp_avg_sq"] for i in live]
        beta1, beta2 = self.betas
        if self.weight_decay != 0:
            torch._foreach_mul_(params, 1 - self.lr * self.weight_decay)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        # Parameters that got gradients later have had fewer steps: one group per step count (usually one).
        by_step: dict[int, list[int]] = {}
        for k, i in enumerate(live):
            by_step.setdefault(self.state[i]["step"], []).append(k)
        for step, members in by_step.items():
            bias_correction1, bias_correction2 = 1 - beta1 ** step, 1 - beta2 ** step
            denom = torch._foreach_sqrt([exp_avg_sqs[k] for k in members])
            torch._foreach_div_(denom, bias_correction2 ** 0.5)
            torch._foreach_add_(denom, self.eps)
            torch._foreach_addcdiv_([params[k] for k in members], [exp_avgs[k] for k in members], denom,
                                    -self.lr / bias_correction1)

    def state_dict(self) -> dict[str, Any]:
        """``torch.optim.AdamW``'s layout (its group options, parameters by index)."""
        group = {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay,
                 "amsgrad": False, "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                 "fused": None, "decoupled_weight_decay": True, "params": list(range(len(self.params)))}
        state = {i: {"step": torch.tensor(float(s["step"])), "exp_avg": s["exp_avg"].clone(),
                     "exp_avg_sq": s["exp_avg_sq"].clone()} for i, s in self.state.items()}
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load :meth:`state_dict`'s output, or ``torch.optim.AdamW``'s (one group, default options)."""
        groups = state["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ConfigError(f"optimizer state: {sum(len(g['params']) for g in groups)} parameters in "
                              f"{len(groups)} group(s), this model has {len(self.params)} in one")
        group = groups[0]
        if group.get("amsgrad") or group.get("maximize") or not group.get("decoupled_weight_decay", True):
            raise ConfigError("optimizer state: not plain AdamW (amsgrad, maximize or coupled weight decay)")
        state_by_param = {}
        for index, saved in state["state"].items():
            if int(index) not in group["params"]:
                raise ConfigError(f"optimizer state: moments for parameter {index}, which its group does not list")
            k = group["params"].index(int(index))
            p = self.params[k]
            if saved["exp_avg"].shape != p.shape:
                raise ConfigError(f"optimizer state: parameter {k} has shape {tuple(p.shape)}, the saved moments "
                                  f"{tuple(saved['exp_avg'].shape)}")
            state_by_param[k] = {"step": int(round(float(saved["step"]))),
                                 "exp_avg": saved["exp_avg"].to(device=p.device, dtype=p.dtype).clone(),
                                 "exp_avg_sq": saved["exp_avg_sq"].to(device=p.device, dtype=p.dtype).clone()}
        self.lr, self.betas, self.eps = group["lr"], tuple(group["betas"]), group["eps"]
        self.weight_decay = group["weight_decay"]
        self.state = state_by_param  # only once every entry is read: a bad state leaves the optimizer as it was
