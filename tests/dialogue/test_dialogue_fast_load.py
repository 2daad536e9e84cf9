"""The fast model load must predict exactly what Rasa's own load predicts."""
from __future__ import annotations

import json
import subprocess

from bot.commands import _rasa_env
from hallbot.settings import ROOT, load

TEXTS = ["你好", "我想查一下电费", "户号是3100000002", "我家停电了", "营业厅几点开门", "我要转人工", "😀", "过户需要带什么"]


def test_fast_load_predicts_like_the_stock_load(trained_model):
    settings = load()
    result = subprocess.run([str(settings.rasa_python), "-m", "rasa_addons.check_fast_load", str(trained_model), *TEXTS],
                            cwd=ROOT, env=_rasa_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    both = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(both["fast"]) == len(TEXTS)
    for stock, fast in zip(both["stock"], both["fast"]):
        assert fast["entities"] == stock["entities"] and fast["response"] == stock["response"]
        assert fast["actions"] == stock["actions"], fast["text"]
        for (s_name, s_conf), (f_name, f_conf) in zip(stock["ranking"], fast["ranking"]):
            assert s_name == f_name and abs(s_conf - f_conf) < 1e-3, fast["text"]
