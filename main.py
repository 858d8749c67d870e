"""Command-line front of the action recogniser: parses options and hands over to one package.

    python main.py                               GUI on camera 0 with the default model
    python main.py --video FILE [--out ...]      analyse a recorded video
    python main.py --train --config CFG [k=v]    train (or --train --data CLIPS for your own actions)
    python main.py --eval --checkpoint C --data DIR
    python main.py --convert INPUT --out OUT.npz skeleton file or video -> canonical array
    python main.py --export CKPT --format onnx   ONNX / TorchScript export
    python main.py --benchmark                   speed of backbones and pose stage

Installed with pip, the same command is ``action-recognition``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import signal
import sys
import threading
from pathlib import Path

# mode -> "module:function"; each function takes the parsed namespace and returns an exit code.
COMMANDS = {
    "gui": "app.gui.main_window:run_cli",
    "video": "app.video_analysis:run_cli",
    "train": "model.train:run_cli",
    "eval": "app.footage_eval:run_cli",
    "convert": "app.convert:run_cli",
    "export": "model.export:run_cli",
    "benchmark": "app.benchmark:run_cli",
}


def build_parser(prog: str = "main.py") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description="Real-time skeleton action recognition (STD-CL).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2],
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--train", action="store_true", help="train a model (see --config, --data)")
    mode.add_argument("--eval", action="store_true",
                      help="evaluate checkpoints on a skeleton dataset or a folder of labelled videos")
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
    io.add_argument("--verbose", action="store_true",
                    help="keep the native log lines of MediaPipe, TensorFlow Lite and FFmpeg")

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
    bench.add_argument("--part", choices=["all", "backbones", "precision", "pose", "analysis"], default="all",
                       help="which section to measure (pose and analysis need --source VIDEO)")
    bench.add_argument("--frames", type=int, help="frames the pose section times (default 150; the clip loops)")
    bench.add_argument("--runs", type=int, help="runs of each process in the analysis section (default 3)")

    ex = p.add_argument_group("export")
    ex.add_argument("--format", choices=["onnx", "torchscript"], default="onnx")
    return p


# option -> the modes that use it; given (with a value other than its default) in another mode it
# would be silently ignored, so it is refused. "gui" is the window (no mode option).
MODE_OPTIONS = {
    "checkpoint": ("eval",), "config": ("train",), "base": ("train",), "timeline": ("video",),
    "csv": ("video",), "model": ("gui", "video", "benchmark"), "device": ("gui", "video", "train", "eval"),
    "out": ("video", "convert", "export", "train"), "json": ("eval", "benchmark"),
    "persons": ("gui", "video", "train", "convert", "benchmark", "eval"), "trust_pickle": ("train", "eval"),
    "stride": ("gui", "video", "eval"), "threshold": ("gui", "video", "eval"), "source": ("gui", "benchmark"),
    "screenshot": ("gui",), "quit_after": ("gui",), "data": ("train", "eval"), "part": ("benchmark",),
    "format": ("export",), "frames": ("benchmark",), "runs": ("benchmark",),
}
MODE_HINTS = {"checkpoint": " (to run a checkpoint, use --model)",
              "model": " (to pick a backbone for --train, use model.name=NAME)"}
# paths the command reads, and paths it writes: an output may never replace an input
INPUT_FILES = ("video", "model", "config", "base", "checkpoint", "convert", "export", "source")
INPUT_FOLDERS = ("data", "video", "source")
OUTPUT_FILES = ("out", "json", "timeline", "csv", "screenshot")


def selected_mode(args: argparse.Namespace) -> str:
    for name in ("train", "eval", "video", "convert", "export", "benchmark"):
        if getattr(args, name):
            return name
    return "gui"


def main(argv: list[str] | None = None, quiet_native_logs: bool = False, prog: str = "main.py") -> int:
    """Run one mode; ``quiet_native_logs`` (the command line, unless ``--verbose``) keeps
    MediaPipe's native log lines out of the terminal (see core.native_logs); ``prog`` is the
    command's name in help and usage messages."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    mode = selected_mode(args)
    if args.overrides and mode != "train":
        parser.error(f"unexpected arguments: {' '.join(args.overrides)}")
    for dest, owners in MODE_OPTIONS.items():
        if getattr(args, dest) != parser.get_default(dest) and mode not in owners:
            where = " or ".join("the window (no mode option)" if m == "gui" else f"--{m}" for m in owners)
            parser.error(f"--{dest.replace('_', '-')} only applies with {where}{MODE_HINTS.get(dest, '')}")
    module_name, func_name = COMMANDS[mode].split(":")
    from core import native_logs
    from core.errors import InputError, Terminated

    if quiet_native_logs and not args.verbose:
        native_logs.quiet()

    trust = contextlib.nullcontext()
    if args.trust_pickle:  # imported only when asked: the model package pulls in torch
        from model.data.pickles import trusting_pickles

        trust = trusting_pickles()
    on_term = signal.getsignal(signal.SIGTERM)
    handle_term = mode != "gui" and threading.current_thread() is threading.main_thread()
    if handle_term:  # SIGTERM raises Terminated, so that temporary files are removed on the way out
        signal.signal(signal.SIGTERM, _terminate)
    try:
        with trust:
            _check_paths(args)
            return int(getattr(importlib.import_module(module_name), func_name)(args) or 0)
    except (InputError, OSError) as err:  # OSError: a path that cannot be read or written, no room, ...
        _end_progress_bars()
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Terminated:
        _end_progress_bars()
        print("terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        _end_progress_bars()
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if handle_term:
            signal.signal(signal.SIGTERM, on_term)


def _check_paths(args: argparse.Namespace) -> None:
    """Refuse an output option naming an input file (or a file already in an input folder)."""
    from core.outputs import check_outputs

    def named(dests: tuple[str, ...], folders: bool = False) -> list[tuple[str, str]]:
        found = []
        for dest in dests:
            values = getattr(args, dest)
            for value in (values if isinstance(values, list) else [values]):
                if isinstance(value, str) and not (dest == "source" and value.isdigit()) \
                        and Path(value).is_dir() == folders:  # with a folder of videos, outputs are folders
                    found.append((f"--{dest}", value))
        return found

    folder_mode = args.video is not None and Path(args.video).is_dir()  # outputs are folders, checked per clip
    check_outputs([] if folder_mode else named(OUTPUT_FILES), named(INPUT_FILES), named(INPUT_FOLDERS, folders=True))


def _terminate(signum: int, frame: object) -> None:
    from core.errors import Terminated

    raise Terminated


def _end_progress_bars() -> None:
    """Close the progress bars still on screen, so that a message starts on a line of its own."""
    tqdm_module = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm_module, "tqdm", None), "_instances", ())):
        bar.close()


def cli() -> int:
    """The ``python main.py`` / ``action-recognition`` command."""
    return main(quiet_native_logs=True, prog=Path(sys.argv[0]).name)


if __name__ == "__main__":
    status = cli()
    gc.freeze()  # what is left lives to the end: no last collection of torch's objects (~0.5 s CPU)
    sys.exit(status)
