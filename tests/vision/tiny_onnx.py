"""Tiny ONNX models with the input/output signatures of insightface's SCRFD detector and
ArcFace recogniser, built with onnx.helper, so the insightface code path runs for real."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STRIDES = (8, 16, 32)
# keypoints of the detected "face" relative to its 32x32 cell, in units of the stride
KPS_REL = np.array([[0.3, 0.35], [0.7, 0.35], [0.5, 0.55], [0.35, 0.75], [0.65, 0.75]], dtype=np.float32)


def _c(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def build_scrfd(path: Path) -> Path:
    """9 outputs (score/bbox/kps for strides 8/16/32, 2 anchors). A stride-32 cell whose
    red channel is white scores ~1; its box is the cell itself; its keypoints are KPS_REL."""
    nodes, inits, scores, boxes, kpss = [], [], [], [], []
    inits += [_c("zero", 0.0), _c("thr", 0.9), _c("gain", 20.0), _c("off", 10.0),
              _c("box_rel", [[0.0, 0.0, 1.0, 1.0]]), _c("kps_rel", [KPS_REL.ravel()]),
              numpy_helper.from_array(np.array([-1, 1], dtype=np.int64), "shape_n1"),
              numpy_helper.from_array(np.array([0], dtype=np.int64), "c0"),
              numpy_helper.from_array(np.array([1], dtype=np.int64), "c1")]
    for s in STRIDES:
        nodes += [helper.make_node("AveragePool", ["input.1"], [f"pool{s}"], kernel_shape=[s, s], strides=[s, s], name=f"pool{s}"),
                  helper.make_node("Slice", [f"pool{s}", "c0", "c1", "c1"], [f"red{s}"], name=f"slice{s}")]
        if s == 32:
            nodes += [helper.make_node("Sub", [f"red{s}", "thr"], [f"d{s}"], name=f"dd{s}"),
                      helper.make_node("Mul", [f"d{s}", "gain"], [f"z{s}"], name=f"zz{s}")]
        else:
            nodes += [helper.make_node("Mul", [f"red{s}", "zero"], [f"m{s}"], name=f"mm{s}"),
                      helper.make_node("Sub", [f"m{s}", "off"], [f"z{s}"], name=f"zz{s}")]
        nodes += [helper.make_node("Sigmoid", [f"z{s}"], [f"sg{s}"], name=f"sig{s}"),
                  helper.make_node("Reshape", [f"sg{s}", "shape_n1"], [f"col{s}"], name=f"col{s}"),
                  helper.make_node("Concat", [f"col{s}", f"col{s}"], [f"two{s}"], axis=1, name=f"cat{s}"),
                  helper.make_node("Reshape", [f"two{s}", "shape_n1"], [f"score_{s}"], name=f"score{s}"),
                  helper.make_node("Mul", [f"score_{s}", "zero"], [f"nil{s}"], name=f"nil{s}"),
                  helper.make_node("Add", [f"nil{s}", "box_rel"], [f"bbox_{s}"], name=f"bbox{s}"),
                  helper.make_node("Add", [f"nil{s}", "kps_rel"], [f"kps_{s}"], name=f"kps{s}")]
        scores.append(helper.make_tensor_value_info(f"score_{s}", TensorProto.FLOAT, [f"n{s}", 1]))
        boxes.append(helper.make_tensor_value_info(f"bbox_{s}", TensorProto.FLOAT, [f"n{s}", 4]))
        kpss.append(helper.make_tensor_value_info(f"kps_{s}", TensorProto.FLOAT, [f"n{s}", 10]))
    graph = helper.make_graph(nodes, "tiny_scrfd",
                              [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "H", "W"])],
                              scores + boxes + kpss, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def arcface_weights(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(3 * 14 * 14, 512)).astype(np.float32)


def build_arcface(path: Path, seed: int = 0) -> Path:
    """112x112 -> 8x8 average pool -> flatten -> fixed random projection to 512-d."""
    nodes = [helper.make_node("AveragePool", ["input.1"], ["p"], kernel_shape=[8, 8], strides=[8, 8], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], axis=1, name="flat"),
             helper.make_node("MatMul", ["f", "W"], ["fc1"], name="fc")]
    graph = helper.make_graph(nodes, "tiny_arcface",
                              [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["N", 3, 112, 112])],
                              [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, ["N", 512])],
                              [numpy_helper.from_array(arcface_weights(seed), "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def build_pack(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    build_scrfd(directory / "det_tiny.onnx")
    build_arcface(directory / "w600k_tiny.onnx")
    return directory
