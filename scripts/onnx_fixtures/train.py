"""The one training loop of the fixtures: uniform random mini-batches from a seeded generator, Adam
(AdamW where weight decay is asked), optionally a one-cycle learning-rate schedule."""
import time

import torch
import torch.nn.functional as F


def train(model, x, y, steps, seed=0, lr=2e-3, weight_decay=0.0, one_cycle=False, batch=128, dataset="Fashion-MNIST"):
    """Trains in place, leaves the model in eval mode; returns the JSON "training" text."""
    g = torch.Generator().manual_seed(seed)
    if weight_decay:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps) if one_cycle else None
    model.train()
    start = time.time()
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (batch,), generator=g)
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
        if sched:
            sched.step()
    model.eval()
    print(f"  trained {steps} steps in {time.time() - start:.0f} s", flush=True)
    lr_text = f"{lr:.0e}".replace("e-0", "e-")
    optimiser = f"AdamW lr {lr_text} weight decay {weight_decay:g}" if weight_decay else f"Adam lr {lr_text}"
    schedule = " (one-cycle schedule peaking at that rate)" if one_cycle else ""
    epochs = steps * batch / x.shape[0]
    return (f"{optimiser}{schedule}, batch {batch}, {steps} steps (~{epochs:.1f} epochs) on the {dataset} "
            f"training set, seed {seed}")
