"""Command-line front of the action recogniser: parses options and hands over to one package.

    python main.py                               GUI on camera 0 with the default model
    python main.py --video FILE [--out ...]      analyse a recorded video
    python main.py --train --config CFG [k=v]    train (or --train --data CLIPS for your own actions)
    python main.py --eval --checkpoint C --data DIR
    python main.py --convert INPUT --out OUT.npz skeleton file or video -> canonical array
    python main.py --export CKPT --format onnx   ONNX / TorchScript export
    python main.py --benchmark                   speed of backbones and pose stage
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import sys

# mode -> "module:function"; each function takes the parsed namespace and returns an exit code.
COMMANDS = {
    "gui": "app.gui.main_window:run_cli",
    "video": "app.video_analysis:run_cli",
    "train": "model.train:run_cli",
    "eval": "model.evaluate:run_cli",
    "convert": "app.convert:run_cli",
    "export": "model.export:run_cli",
    "benchmark": "app.benchmark:run_cli",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py", description="Real-time skeleton action recognition (STD-CL).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2],
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--train", action="store_true", help="train a model (see --config, --data)")
    mode.add_argument("--eval", action="store_true", help="evaluate checkpoints on a data folder")
    mode.add_argument("--video", metavar="FILE", help="analyse a recorded video headlessly")
    mode.add_argument("--convert", metavar="INPUT", help="skeleton file or video -> canonical .npz")
    mode.add_argument("--export", metavar="CHECKPOINT", help="export a checkpoint (see --format)")
    mode.add_argument("--benchmark", action="store_true", help="measure backbone and pose speed")

    io = p.add_argument_group("common")
    io.add_argument("--model", metavar="CHECKPOINT", help="checkpoint to run (default: shipped model)")
    io.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    io.add_argument("--out", metavar="PATH", help="output file (annotated video, .npz, export)")
    io.add_argument("--json", metavar="FILE", help="also write results as JSON")
    io.add_argument("--persons", type=int, choices=[1, 2], help="people to track (default: model's)")
    io.add_argument("--trust-pickle", action="store_true",
                    help="allow reading dataset files that are Python pickles (they can run code)")

    rec = p.add_argument_group("recognition (GUI and --video)")
    rec.add_argument("--stride", type=float, metavar="SECONDS",
                     help="cut a window and update the label this often (default 0.25)")
    rec.add_argument("--threshold", type=float, metavar="P",
                     help="below this smoothed score the label is 'no action' (default 0.4)")

    gui = p.add_argument_group("GUI")
    gui.add_argument("--source", help="camera index or video file (default: camera 0)")
    gui.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window ...")
    gui.add_argument("--quit-after", type=float, metavar="SECONDS", help="... and quit after this long")

    vid = p.add_argument_group("video analysis")
    vid.add_argument("--timeline", metavar="FILE.json", help="write the action timeline as JSON")
    vid.add_argument("--csv", metavar="FILE.csv", help="write the action segments as CSV")

    tr = p.add_argument_group("training and evaluation")
    tr.add_argument("--config", metavar="YAML", help="training recipe (see configs/)")
    tr.add_argument("--data", metavar="DIR", help="dataset folder or folder of your own clips")
    tr.add_argument("--base", metavar="CHECKPOINT", help="fine-tune from this checkpoint")
    tr.add_argument("--checkpoint", nargs="+", metavar="CKPT", help="checkpoint(s) to evaluate")
    tr.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                    help="override config fields, e.g. train.epochs=5 model.name=ctrgcn")

    bench = p.add_argument_group("benchmark")
    bench.add_argument("--part", choices=["all", "backbones", "pose", "analysis"], default="all",
                       help="which section to measure (pose and analysis need --source VIDEO)")
    bench.add_argument("--frames", type=int, help="frames the pose section times (default 150; the clip loops)")
    bench.add_argument("--runs", type=int, help="runs of each process in the analysis section (default 3)")

    ex = p.add_argument_group("export")
    ex.add_argument("--format", choices=["onnx", "torchscript"], default="onnx")
    return p


# options that mean something in one mode only: given with another they would be silently ignored
MODE_OPTIONS = {"checkpoint": "eval", "config": "train", "base": "train", "timeline": "video", "csv": "video",
                "frames": "benchmark", "runs": "benchmark"}


def selected_mode(args: argparse.Namespace) -> str:
    for name in ("train", "eval", "video", "convert", "export", "benchmark"):
        if getattr(args, name):
            return name
    return "gui"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    mode = selected_mode(args)
    if args.overrides and mode != "train":
        parser.error(f"unexpected arguments: {' '.join(args.overrides)}")
    for dest, owner in MODE_OPTIONS.items():
        if getattr(args, dest) is not None and mode != owner:
            hint = " (to run a checkpoint, use --model)" if dest == "checkpoint" else ""
            parser.error(f"--{dest} only applies with --{owner}{hint}")
    module_name, func_name = COMMANDS[mode].split(":")
    from core.errors import InputError

    trust = contextlib.nullcontext()
    if args.trust_pickle:  # imported only when asked: the model package pulls in torch
        from model.data.pickles import trusting_pickles

        trust = trusting_pickles()
    try:
        with trust:
            return int(getattr(importlib.import_module(module_name), func_name)(args) or 0)
    except (InputError, OSError) as err:  # OSError: a path that cannot be read or written, no room, ...
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    status = main()
    gc.freeze()  # what is left lives to the end: no last collection of torch's objects (~0.5 s CPU)
    sys.exit(status)
