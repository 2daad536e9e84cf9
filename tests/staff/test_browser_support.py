"""The browser test infrastructure works: Debian's chromium starts under Playwright, a page sees the
fake camera's frames (from write_y4m) and hears the fake microphone (a WAV played once: %noloop)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.browser_support import chromium_args, launch_chromium, pytest_skip_without_chromium, write_wav, write_y4m

PAGE = """<!doctype html><meta charset="utf-8"><body>
<video id="v" autoplay muted playsinline></video><canvas id="c" width="64" height="48"></canvas>
<script>
window.media = (async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
  const v = document.getElementById('v'); v.srcObject = stream; await v.play();
  const ctx = new AudioContext(); await ctx.resume();
  const analyser = ctx.createAnalyser(); analyser.fftSize = 2048; analyser.smoothingTimeConstant = 0;
  ctx.createMediaStreamSource(stream).connect(analyser);
  window.frameColour = () => {   // mean RGB of the current video frame
    const c = document.getElementById('c'), g = c.getContext('2d');
    g.drawImage(v, 0, 0, c.width, c.height);
    const d = g.getImageData(0, 0, c.width, c.height).data; const s = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i + 1]; s[2] += d[i + 2]; }
    const n = d.length / 4; return s.map(x => x / n);
  };
  window.audioRms = () => {
    const buf = new Float32Array(analyser.fftSize); analyser.getFloatTimeDomainData(buf);
    return Math.sqrt(buf.reduce((a, x) => a + x * x, 0) / buf.length);
  };
  return {tracks: stream.getTracks().map(t => t.kind + ':' + t.label)};
})();
</script>"""


def write_tone(path: Path, seconds: float, rate: int = 48000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    return write_wav(path, 0.5 * np.sin(2 * np.pi * 440 * t), rate)


@pytest.fixture
async def page_url():
    app = web.Application()
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app.router.add_get("/", page)
    server = TestServer(app, host="127.0.0.1")   # http://127.0.0.1 is a secure context: getUserMedia works
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


def test_write_y4m_layout(tmp_path):
    frame = np.zeros((48, 64, 3), np.uint8)
    path = write_y4m(tmp_path / "cam.y4m", [frame, frame], fps=5)
    data = path.read_bytes()
    header, rest = data.split(b"\n", 1)
    assert header == b"YUV4MPEG2 W64 H48 F5:1 Ip A1:1 C420jpeg"
    assert rest.count(b"FRAME\n") == 2 and len(rest) == 2 * (len(b"FRAME\n") + 64 * 48 * 3 // 2)
    with pytest.raises(ValueError, match="even"):
        write_y4m(tmp_path / "odd.y4m", [np.zeros((47, 64, 3), np.uint8)])
    with pytest.raises(ValueError, match="frame 1"):
        write_y4m(tmp_path / "mixed.y4m", [frame, np.zeros((48, 64), np.uint8)])


def test_missing_fake_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="fake camera"):
        chromium_args(fake_video=tmp_path / "none.y4m")


async def test_page_sees_fake_camera_and_hears_fake_microphone_once(tmp_path, page_url):
    pytest_skip_without_chromium()
    from playwright.async_api import async_playwright

    red = np.zeros((120, 160, 3), np.uint8)
    red[..., 0] = 220                                   # a red scene: not black, and the colour survives YUV
    video = write_y4m(tmp_path / "cam.y4m", [red] * 10, fps=10)
    audio = write_tone(tmp_path / "mic.wav", seconds=1.0)
    async with async_playwright() as pw:
        browser = await launch_chromium(pw, fake_video=video, fake_audio=audio)
        try:
            page = await browser.new_page()
            await page.goto(page_url)
            info = await page.evaluate("window.media")
            assert any(t.startswith("video:") for t in info["tracks"]) and any(
                t.startswith("audio:") for t in info["tracks"]), info
            await page.wait_for_function("window.frameColour()[0] > 150", timeout=30000)
            r, g, b = await page.evaluate("window.frameColour()")
            assert r > 150 and g < 80 and b < 80, (r, g, b)
            # The tone is heard, then (%noloop) silence: a looping file would never go quiet.
            await page.wait_for_function("window.audioRms() > 0.2", timeout=30000)
            await page.wait_for_function("window.audioRms() < 0.001", timeout=30000, polling=100)
        finally:
            await browser.close()


def test_write_wav_pads_silence(tmp_path):
    import wave

    path = write_wav(tmp_path / "a.wav", np.ones(1600) * 0.5, 16000, pad_silence_s=0.5)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 16000, 1600 + 8000)
        data = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    assert data[0] == 16383 and not data[1600:].any()
    with pytest.raises(ValueError, match="mono"):
        write_wav(tmp_path / "b.wav", np.zeros((10, 2)))


GLYPHS_PAGE = """<!doctype html><meta charset="utf-8"><body><script>
window.glyph = (ch) => {   // the pixels of one character in the kiosk's font stack
  const c = document.createElement('canvas'); c.width = 48; c.height = 48;
  const g = c.getContext('2d'); g.font = '40px "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  g.fillStyle = '#000'; g.fillText(ch, 2, 40);
  return Array.from(g.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3));
};
</script>"""


def test_chinese_text_renders_with_a_real_font():
    """Without a CJK font chromium draws every Chinese character as the same box (tofu): the
    kiosk then shows customers nothing readable. scripts/setup.sh installs fonts-noto-cjk."""
    pytest_skip_without_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page()
            page.set_content(GLYPHS_PAGE)
            electricity, fee = page.evaluate("glyph('电')"), page.evaluate("glyph('费')")
        finally:
            browser.close()
    assert any(electricity), "nothing drawn for 电"
    assert electricity != fee, "电 and 费 render identically: no CJK font, every character is a box"
