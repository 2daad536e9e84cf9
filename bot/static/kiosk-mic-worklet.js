// Microphone capture: float blocks of 128 samples -> PCM16 chunks of ~20 ms (+ their RMS level),
// posted to the page.
class MicCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunk = Math.round(sampleRate / 50);
    this.buf = new Int16Array(this.chunk);
    this.n = 0;
    this.sumsq = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) {
      for (let i = 0; i < ch.length; i++) {
        const s = Math.max(-1, Math.min(1, ch[i]));
        this.sumsq += s * s;
        this.buf[this.n++] = s < 0 ? s * 0x8000 : s * 0x7fff;
        if (this.n === this.chunk) {
          this.port.postMessage({pcm: this.buf.buffer, rms: Math.sqrt(this.sumsq / this.chunk)}, [this.buf.buffer]);
          this.buf = new Int16Array(this.chunk);
          this.n = 0;
          this.sumsq = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor("mic-capture", MicCapture);
