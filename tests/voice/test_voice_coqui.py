"""Coqui engine: the real loading code (TTS.utils.synthesizer.Synthesizer on a model dir) on a
tiny randomly initialised VITS that the test builds and saves — no Coqui voice ships offline.
coqui-tts is optional (requirements/optional-coqui.txt); without it these tests skip."""
import numpy as np
import pytest

from voice.tts.base import TTSError

pytest.importorskip("torch", reason="coqui engine: torch not installed (pip install -r requirements/optional-coqui.txt)")
pytest.importorskip("TTS.utils.synthesizer", reason="coqui engine: coqui-tts not importable (see requirements/optional-coqui.txt)")


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_heads_text_encoder=2,
                    num_layers_text_encoder=1, num_layers_flow=1, num_layers_posterior_encoder=1,
                    resblock_type_decoder="2", resblock_kernel_sizes_decoder=[3], resblock_dilation_sizes_decoder=[[1, 3]],
                    upsample_rates_decoder=[8, 8, 4], upsample_initial_channel_decoder=32,
                    upsample_kernel_sizes_decoder=[16, 16, 8], init_discriminator=False, out_channels=129)
    chars = CharactersConfig(characters="abcdefghijklmnopqrstuvwxyz", punctuations="!,.? ", pad="_", eos="~",
                             bos="^", blank="#", characters_class="TTS.tts.models.vits.VitsCharacters")
    cfg = VitsConfig(model_args=args, use_phonemes=False, text_cleaner="basic_cleaners", characters=chars)
    cfg.audio.sample_rate, cfg.audio.fft_size, cfg.audio.win_length, cfg.audio.hop_length = 16000, 256, 256, 256
    model = Vits(cfg)
    d = tmp_path_factory.mktemp("coqui-tiny")
    torch.save({"model": model.state_dict()}, d / "model.pth")
    cfg.save_json(str(d / "config.json"))
    return d


def test_engine_loads_a_model_dir_and_speaks(tiny_model_dir, monkeypatch):
    from voice.tts import make_engine

    monkeypatch.setenv("HALLBOT_COQUI_MODEL_DIR", str(tiny_model_dir))
    engine = make_engine("coqui")
    assert engine.sample_rate == 16000
    audio = engine.synthesize("hello there.")
    assert audio.dtype == np.float32 and len(audio) > 1000 and np.isfinite(audio).all()
    chunks = list(engine.stream("hello. good bye."))
    assert [c.text for c in chunks] == ["hello.", "good bye."]


def test_bad_model_dirs(tmp_path, tiny_model_dir):
    from voice.tts.coqui_engine import CoquiEngine

    with pytest.raises(TTSError, match="no config.json"):
        CoquiEngine(tmp_path)
    (tmp_path / "config.json").write_text((tiny_model_dir / "config.json").read_text())
    with pytest.raises(TTSError, match="no Coqui checkpoint"):
        CoquiEngine(tmp_path)
    (tmp_path / "model.pth").write_bytes(b"corrupt")
    with pytest.raises(TTSError, match="cannot load Coqui model"):
        CoquiEngine(tmp_path)
