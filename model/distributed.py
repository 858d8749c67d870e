"""Multi-process training helpers: the torchrun process group, a resumable sharded sampler, and
keeping the STD-CL memory banks of the processes in step."""
from __future__ import annotations

import math
import os
from typing import Iterator

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.utils.data import Sampler

from core.device import resolve_device
from model.stdcl import STDCLHead


def process_rank() -> int:
    """This process's rank, 0 when not distributed; torchrun's RANK also after the process group
    has been torn down (so that only rank 0 reports once training has ended)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def setup_distributed(device_choice: str) -> tuple[int, int, torch.device]:
    """(rank, world size, device); joins the torchrun process group when WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = resolve_device(device_choice)
    if world <= 1:
        return 0, 1, device
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


def barrier(world: int) -> None:
    """Wait for every process (no-op for one process)."""
    if world > 1:
        dist.barrier()


class EpochSampler(Sampler[int]):
    """Shuffled indices, ``repeat`` passes over the data, split between ``world`` processes.

    The order depends only on ``(seed, epoch)`` so that a resumed run sees the same batches; every
    process gets the same number of indices (the list is padded by wrapping around). With
    ``weights`` (one per sample) an epoch draws as many indices with replacement, each with
    probability proportional to its weight (e.g. to balance classes of very different sizes).
    """

    def __init__(self, size: int, seed: int, repeat: int = 1, rank: int = 0, world: int = 1,
                 weights: torch.Tensor | None = None):
        self.size, self.seed, self.repeat, self.rank, self.world = size, seed, repeat, rank, world
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        if self.weights is not None and (self.weights.shape != (size,) or not (self.weights >= 0).all()
                                         or not self.weights.sum() > 0):
            raise ValueError(f"weights must be {size} non-negative numbers, not all zero")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.size * self.repeat / self.world)

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
        if self.weights is not None:
            order = torch.multinomial(self.weights, self.size * self.repeat, replacement=True, generator=g).tolist()
        else:
            order = torch.cat([torch.randperm(self.size, generator=g) for _ in range(self.repeat)]).tolist()
        total = len(self) * self.world
        order += order[: total - len(order)]
        return iter(order[self.rank:total:self.world])


def sync_banks(head: STDCLHead, visited: torch.Tensor, world: int) -> None:
    """Give every process the memory-bank rows the others wrote this epoch (each sample is seen by
    one process per epoch; rows seen by several are averaged and re-normalised)."""
    if world <= 1:
        return
    count = visited.float()
    dist.all_reduce(count)
    seen = count > 0
    for bank in (head.bank_spatial, head.bank_temporal):
        mine = bank * visited[:, None].to(bank.dtype)
        dist.all_reduce(mine)
        bank[seen] = F.normalize(mine[seen] / count[seen, None], dim=1)
    filled = head.filled.to(torch.uint8)
    dist.all_reduce(filled, op=dist.ReduceOp.MAX)
    head.filled.copy_(filled.bool())
