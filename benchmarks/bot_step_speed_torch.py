"""The PyTorch side of ``bot_step_speed.py``: BoT's training step on torchvision's ResNet-50
(last stride 1, average pooling, a Linear embedding as tfreid's Dense head, BNNeck, bias-free
classifier; label-smoothed CE + batch-hard triplet, Adam) in a plain CPU loop
(benchmark-only; tfreid never imports PyTorch).

    python bot_step_speed_torch.py BATCH.npz EMBEDDING_DIM NUM_CLASSES THREADS

A worker: it loads the fixed batch (``images`` uint8 (B, H, W, 3), ``labels``), builds the
models (one NCHW, PyTorch's default, one channels-last), prints ``ready``, then for each
``step`` (NCHW) or ``step_channels_last`` line on stdin runs one training step of that
model (forward, backward, optimizer step) and prints its seconds; ``quit`` ends it.
"""

import sys
import time

import numpy as np
import torch
import torchvision
from torch import nn

MARGIN, SMOOTHING, LR = 0.3, 0.1, 3.5e-4


class BoT(nn.Module):
    """ResNet-50, last stride 1, GAP, Linear embedding (f_t), BNNeck (f_i), classifier."""

    def __init__(self, embedding_dim: int, num_classes: int):
        super().__init__()
        resnet = torchvision.models.resnet50(weights=None)
        resnet.layer4[0].conv2.stride = (1, 1)
        resnet.layer4[0].downsample[0].stride = (1, 1)
        self.base = nn.Sequential(*list(resnet.children())[:-2])
        self.embedding = nn.Linear(2048, embedding_dim)
        self.neck = nn.BatchNorm1d(embedding_dim)
        self.neck.bias.requires_grad_(False)  # BNNeck: no shift (bias frozen at 0)
        self.classifier = nn.Linear(embedding_dim, num_classes, bias=False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.base((images - self.mean) / self.std)
        before = self.embedding(x.mean(dim=(2, 3)))
        return before, self.classifier(self.neck(before))


def batch_hard_triplet(features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    squared = (features[:, None, :] - features[None, :, :]).pow(2).sum(-1)
    distances = squared.clamp_min(1e-12).sqrt()
    same = labels[:, None] == labels[None, :]
    hardest_positive = distances.masked_fill(~same, float("-inf")).max(dim=1).values
    hardest_negative = distances.masked_fill(same, float("inf")).min(dim=1).values
    return torch.relu(hardest_positive - hardest_negative + MARGIN).mean()


def trainer(embedding_dim: int, num_classes: int, images: torch.Tensor,
            labels: torch.Tensor, channels_last: bool):
    """One timed training step (seconds) of a fresh model, in NCHW or channels-last."""
    model = BoT(embedding_dim, num_classes).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=LR)
    cross_entropy = nn.CrossEntropyLoss(label_smoothing=SMOOTHING)

    def step() -> float:
        started = time.perf_counter()
        before, logits = model(images)
        loss = cross_entropy(logits, labels) + batch_hard_triplet(before, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        float(loss.detach())
        return time.perf_counter() - started

    return step


def main() -> None:
    path, embedding_dim, num_classes, threads = sys.argv[1:5]
    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    batch = np.load(path)
    images = torch.from_numpy(batch["images"].astype(np.float32)).permute(0, 3, 1, 2)
    images = images.contiguous()
    labels = torch.from_numpy(batch["labels"].astype(np.int64))
    steps = {name: trainer(int(embedding_dim), int(num_classes), images, labels,
                           name == "step_channels_last")
             for name in ("step", "step_channels_last")}
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() not in steps:
            break
        print(f"{steps[line.strip()]():.6f}", flush=True)


if __name__ == "__main__":
    main()
