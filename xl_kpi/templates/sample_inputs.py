"""Sample input rows for the templates (placeholder until xl_kpi.sample lands)."""

from __future__ import annotations

import datetime as dt

import numpy as np


def dashboard_rows(months: int = 24, seed: int = 7) -> list[list]:
    rng = np.random.default_rng(seed)
    start = np.empty(months)
    cust = np.empty(months)
    rows = []
    c, m = 400.0, 40000.0
    for k in range(months):
        new_c = int(rng.integers(25, 45)); lost = int(rng.integers(6, 22))
        new_m = round(new_c * 100 * rng.uniform(0.9, 1.1), 2); exp = round(m * rng.uniform(0.01, 0.03), 2)
        con = round(m * rng.uniform(0.003, 0.01), 2); chu = round(lost * 100 * rng.uniform(0.9, 1.1), 2)
        spend = round(new_c * rng.uniform(900, 1300), 2); gm = round(rng.uniform(0.76, 0.84), 3)
        rows.append([dt.datetime(2024 + k // 12, k % 12 + 1, 1), int(c), new_c, lost, round(m, 2), new_m, exp, con, chu, spend, gm])
        c = c + new_c - lost; m = round(m, 2) + new_m + exp - con - chu
    return rows
