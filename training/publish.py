"""Publishing trained weights: copy, checksum and a model card from the run's own records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tankerwatch.inference.measurement_error import ErrorModel, error_model_table, load_error_model, sidecar_path
from tankerwatch.io import atomic_write_text, read_json
from tankerwatch.models.detector import BUNDLED_WEIGHTS, sha256_of, verify_sha256, write_sha256
from tankerwatch.schema import TankerwatchError


def _metrics_table(report: dict) -> str:
    """The eval report's per-class figures as a Markdown table."""

    def f(v):
        return "–" if v is None or v != v else f"{v:.3f}" if isinstance(v, float) else str(v)

    # .get: eval_report.json files written before AP50:95 and heading error were scored lack those keys
    rows = [
        "| class | AP50 | AP50:95 | precision | recall | truth | predicted | length MAE m | length bias m | "
        "beam MAE m | "
        "beam bias m | heading axis MAE ° | bow right (n) | bow MAE ° |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cls, r in report["classes"].items():
        bow_right = f"{f(r.get('bow_right_share'))} ({r['bow_n']})" if r.get("bow_n") else "–"
        rows.append(
            f"| {cls} | {f(r['ap50'])} | {f(r.get('ap50_95'))} | {f(r['precision'])} | {f(r['recall'])} | "
            f"{r['n_truth']} | {r['n_predicted']} | {f(r['length_mae_m'])} | {f(r['length_bias_m'])} | "
            f"{f(r['beam_mae_m'])} | {f(r['beam_bias_m'])} | {f(r.get('heading_mae_deg'))} | {bow_right} | "
            f"{f(r.get('bow_mae_deg'))} |"
        )
    by_gsd = [
        f"| {cls} | {b} | {s['n']} | {s['length_mae_m']:.2f} | {s['length_bias_m']:+.2f} | {s['beam_mae_m']:.2f} | "
        f"{s['beam_bias_m']:+.2f} |"
        for cls, r in report["classes"].items()
        for b, s in r["by_gsd"].items()
    ]
    if by_gsd:
        rows += [
            "",
            "| class | scene GSD | n | length MAE m | length bias m | beam MAE m | beam bias m |",
            "|---|---|---|---|---|---|---|",
            *by_gsd,
        ]
    return "\n".join(rows)


def _realworld_table(real: dict) -> str:
    """The real-imagery report per source as a Markdown table: recall per length bin, > 50 m, precision, length MAE."""

    def f(v):
        return "–" if v is None else f"{v:.2f}"

    heads = [b["label"] for b in real["overall"]["bins"]]
    rows = [
        "| source | GSD m | images | ships | "
        + " | ".join(f"recall {h}" for h in heads)
        + " | recall > 50 m | detections | precision | false / image | water objects: found / proposed / false | "
        "length MAE m (n) |",
        "|---" * (len(heads) + 10) + "|",
    ]
    groups = [*real["sources"].values(), *real.get("negatives", {}).values(), real["overall"]]
    for r in groups:
        bins = " | ".join(f"{f(b['recall'])} ({b['n_truth']})" for b in r["bins"])
        o = r["over_50m"]
        mae = f"{r['length_mae_m']:.1f} ({r['n_length']})" if r.get("length_mae_m") is not None else "–"
        rows.append(
            f"| {r['name']} | {r['gsd'] if len(r['gsd']) <= 20 else 'mixed'} | {r['images']} | {r['n_truth']} | "
            f"{bins} | {f(o['recall'])} ({o['n_found']}/{o['n_truth']}) | {r['n_predicted']} | "
            f"{f(r['precision'])} | {f(r['false_per_image'])} | {r.get('objects_found', 0)} / "
            f"{r.get('objects_predicted', 0)} / {r.get('objects_false', 0)} | {mae} |"
        )
    return "\n".join(rows)


def model_card(
    summary: dict, sha256: str, eval_report: dict | None, notes: str, errors: ErrorModel | None = None
) -> str:
    """Markdown model card: data, command, training metrics, evaluation, limits, checksum."""
    cfg = summary["config"]
    val = summary.get("val_metrics", {})
    parts = [
        "# tankerwatch-obb — bundled tanker detector",
        "",
        f"- **sha256**: `{sha256}`",
        f"- **architecture**: Ultralytics YOLO11{cfg['architecture']}-OBB from "
        "`models/cfg/tankerwatch-yolo11-obb.yaml`, "
        "2 classes (`tanker`, `vessel`), "
        + (
            f"fine-tuned from `{cfg['init_weights']}`"
            + (f" (sha256 {summary['init_sha256'][:12]}…)" if summary.get("init_sha256") else "")
            if cfg.get("init_weights")
            else "trained from scratch (no pretrained weights)"
        )
        + ", fp16 checkpoint",
        f"- **working resolution**: chips of {cfg['imgsz']} px at 1 m GSD; scenes are read at 1 m before detection",
        f"- **training command**: `{summary['command']}`",
        f"- **training config**: `{json.dumps(cfg, sort_keys=True)}`",
        f"- **dataset**: `{summary['data']}`",
        f"- **trained**: {summary['started']} → {summary['finished']}",
        "",
        "## Validation during training (the dataset's validation split, Ultralytics OBB metrics, both classes)",
        "",
        "| epoch | precision | recall | mAP50 | mAP50-95 |",
        "|---|---|---|---|---|",
        f"| {val.get('epoch', float('nan')):.0f} | {val.get('metrics/precision(B)', float('nan')):.3f} | "
        f"{val.get('metrics/recall(B)', float('nan')):.3f} | {val.get('metrics/mAP50(B)', float('nan')):.3f} | "
        f"{val.get('metrics/mAP50-95(B)', float('nan')):.3f} |",
        "",
    ]
    if eval_report:
        parts += [
            f"## Evaluation through the full pipeline (`tankerwatch eval`, {eval_report['scenes']} scenes, "
            f"footprint IoU ≥ {eval_report['iou_threshold']})",
            "",
            _metrics_table(eval_report),
            "",
        ]
    if eval_report and eval_report.get("realworld"):
        real = eval_report["realworld"]
        parts += [
            f"## Real imagery (`tankerwatch eval --real`, {real['overall']['images']} images, IoU ≥ "
            f"{real['iou_threshold']}, stages: {real.get('hull_filter') or 'none'})",
            "",
            _realworld_table(real),
            "",
        ]
    if errors is not None and errors.fits:
        parts += [
            "## Measurement error model (`<weights>.errors.json` beside the weights; "
            f"fitted by `tankerwatch eval --save-errors`: {errors.source})",
            "",
            "Measured minus true size of tankers, per GSD of the grid a hull was measured in: the matcher's "
            "likelihood is a Normal core plus a share of outliers (`inference/measurement_error.py`).",
            "",
            error_model_table(errors),
            "",
        ]
    parts += ["## Notes and known limits", "", notes.strip(), ""]
    parts += [
        "The second-stage models that run after this detector (water mask, ship type) have their own card: "
        "`STAGES.md`.",
        "",
    ]
    return "\n".join(parts)


def publish(run_dir: Path, eval_report_path: Path | None = None, dest: Path = BUNDLED_WEIGHTS, notes: str = "") -> Path:
    """Copy a run's best checkpoint to dest with its .sha256 and MODEL_CARD.md beside it."""
    run_dir = Path(run_dir)
    summary_path = run_dir / "train_summary.json"
    summary = read_json(summary_path, "training summary (train_summary.json)")
    best = Path(summary["best"])
    verify_sha256(best)
    if sha256_of(best) != summary["sha256"]:
        raise TankerwatchError(f"{best}: checkpoint changed since training (sha256 differs from {summary_path.name})")
    report = read_json(eval_report_path, "eval report") if eval_report_path else None
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(best, tmp)
    tmp.replace(dest)
    write_sha256(dest)
    errors = load_error_model(sidecar_path(dest)) if sidecar_path(dest).exists() else None
    atomic_write_text(dest.parent / "MODEL_CARD.md", model_card(summary, sha256_of(dest), report, notes, errors))
    return dest
