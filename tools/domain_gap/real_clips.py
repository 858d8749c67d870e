"""Score checkpoints on the real clips from recorded MediaPipe landmarks, as ``--video`` would.

    python tools/domain_gap/real_clips.py CHECKPOINT [...] [--landmarks runs/domain_gap/landmarks]

For each recorded clip (:mod:`tools.domain_gap.landmarks`) the landmarks are replayed through the
pose stage and the app's pipeline (:class:`app.pipeline.ActionPipeline`: windows resampled to the
model's rate, smoothing, "no action" rule), so the results equal ``python main.py --video`` on the
clip without running MediaPipe again. Reports per clip the dominant label and its mean score (as
``--video`` prints it), the share of windows whose top class is the expected one, and the longest
stretch (seconds) of one confidently named action: for the distractor clips this should be short.

``EXPECTED`` holds the nearest UTD-MHAD class of each labelled clip (``../shared/videos/README.md``);
any other clip counts as a distractor.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.pipeline import ActionPipeline, PipelineConfig, is_absent  # noqa: E402
from app.recognizer import Recognizer  # noqa: E402
from app.timeline import SegmentBuilder  # noqa: E402
from app.video_analysis import best_label  # noqa: E402
from core.atomic import write_text  # noqa: E402
from pose.mapping import KINECT_V2, MappingConstants  # noqa: E402
from pose.stage import PoseStage  # noqa: E402
from tools.domain_gap.replay import ReplayEstimator, load_landmarks, mapping_constants  # noqa: E402

EXPECTED = {"waving": "right hand wave", "walking": "walking in place", "running": "jogging in place"}
SKIP = ("ntu_sample",)  # two people interacting: not a one-person clip
LANDMARKS = ROOT / "runs" / "domain_gap" / "landmarks"


def evaluate_clip(recorded: dict[str, np.ndarray], recognizer: Recognizer, expected: str | None,
                  constants: MappingConstants = KINECT_V2, config: PipelineConfig | None = None) -> dict:
    """Dominant label, its score, the expected label's share of windows, longest confident segment."""
    config = config or PipelineConfig()
    width, height = (int(v) for v in recorded["size"])
    blank = np.zeros((height, width, 3), np.uint8)
    builder = SegmentBuilder()
    sums: dict[str, float] = {}
    seen = hits = 0
    t = 0.0
    with mapping_constants(constants):
        stage = PoseStage(persons=1, estimator=ReplayEstimator(recorded))
        pipeline = ActionPipeline(recognizer, config, pose_stage=stage)
        for t in recorded["timestamps"]:
            _, states = pipeline.step(blank, float(t))
            for state in states:
                builder.add(state)
                if is_absent(state):
                    continue
                seen += 1
                hits += state.top[0][0] == expected
                for name, p in state.top:
                    sums[name] = sums.get(name, 0.0) + p
    segments = builder.finish(float(t))
    label, score = best_label(seen, sums)
    longest = max(segments, key=lambda s: s.end_s - s.start_s, default=None)
    return {
        "dominant": label if score >= config.threshold else "no action", "best": label,
        "score": round(score, 3), "expected": expected,
        "top1_share": round(hits / seen, 3) if seen and expected else None,
        "longest_segment": None if longest is None else
        {"label": longest.label, "seconds": round(longest.end_s - longest.start_s, 2),
         "score": round(longest.score, 3)},
        "windows": seen,
    }


def evaluate(checkpoint: str | Path, folder: Path = LANDMARKS, constants: MappingConstants = KINECT_V2) -> dict:
    """``evaluate_clip`` for every recorded clip; plus ``named``: labelled clips whose dominant label
    is the expected one."""
    recognizer = Recognizer(checkpoint, "cpu")
    results = {}
    for path in sorted(folder.glob("*.npz")):
        if path.stem in SKIP:
            continue
        results[path.stem] = evaluate_clip(load_landmarks(path), recognizer, EXPECTED.get(path.stem), constants)
    results["named"] = sum(r["best"] == r["expected"] for r in results.values() if r["expected"])
    return results


def summary_line(results: dict) -> str:
    """One line: each clip's dominant label and score; distractors with their longest segment."""
    parts = []
    for clip, r in results.items():
        if clip == "named":
            continue
        mark = "" if r["expected"] is None else (" OK" if r["best"] == r["expected"] else " x")
        text = f"{clip}: {r['best']} {r['score']:.2f}{mark}"
        if r["expected"] is None and r["longest_segment"]:
            s = r["longest_segment"]
            text += f" (longest {s['label']} {s['seconds']:.1f}s @{s['score']:.2f})"
        parts.append(text)
    return f"named {results['named']}/{len(EXPECTED)} | " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--landmarks", default=str(LANDMARKS))
    parser.add_argument("--json", help="write all results to this file")
    args = parser.parse_args(argv)
    everything = {}
    for ckpt in args.checkpoints:
        everything[ckpt] = evaluate(ckpt, Path(args.landmarks))
        print(f"{ckpt}: {summary_line(everything[ckpt])}", flush=True)
    if args.json:
        write_text(args.json, json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
