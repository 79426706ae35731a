"""The PyTorch side of ``training_speed.py``: Table I CNN and the triplet loss in a plain
CPU loop (benchmark-only; tfreid never imports PyTorch)."""

import time

import numpy as np
import torch
from torch import nn


def table1_cnn(embedding_dim: int, size: int) -> nn.Module:
    """Keras' Table I CNN (valid 3x3 convs, 16 filters, 3 blocks, 3 x Dense 128)."""
    layers, channels = [], 3
    for _ in range(3):
        for _ in range(2):
            layers += [nn.Conv2d(channels, 16, 3), nn.ReLU()]
            channels = 16
            size -= 2
        layers.append(nn.MaxPool2d(2))
        size //= 2
    layers.append(nn.Flatten())
    features = 16 * size * size
    for _ in range(3):
        layers += [nn.Linear(features, 128), nn.ReLU()]
        features = 128
    layers.append(nn.Linear(128, embedding_dim))
    return nn.Sequential(*layers)


def torch_images_per_second(batch: np.ndarray, embedding_dim: int, steps: int,
                            warmup: int = 5) -> float:
    torch.manual_seed(0)
    model = table1_cnn(embedding_dim, batch.shape[2])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.from_numpy(batch.astype(np.float32) / 255.0).permute(0, 1, 4, 2, 3)
    images = images.contiguous()
    triplets = images.shape[1]

    def step() -> float:
        # three passes of 128 images: on 2 cores 2x faster here than one pass of 384
        anchor, positive, negative = (model(images[i]) for i in range(3))
        loss = torch.relu((anchor - positive).norm(dim=1) - (anchor - negative).norm(dim=1)
                          + 1.0).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    for _ in range(warmup):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * 3 * triplets / (time.perf_counter() - started)
