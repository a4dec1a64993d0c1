import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';
import { formatDuration } from '../logic/media';
import { attach } from '../state/uploads';
import { MicIcon } from './Icons';

/** What MediaRecorder writes here: Opus in WebM first (Chromium, Firefox), else what it can. */
function recorderType(): string | undefined {
  return ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'].find((m) => MediaRecorder.isTypeSupported(m));
}

/** A press longer than this is hold-to-talk: letting go sends. */
const HOLD_MS = 600;

type Recording = { recorder: MediaRecorder; stream: MediaStream; started: number; chunks: Blob[] };

/**
 * The microphone button, hold or toggle: pressed and held for more than HOLD_MS, letting go sends
 * (hold to talk); a short click, Enter or Space starts recording, and the elapsed time shows with
 * Send and Cancel. The duration is measured here (the server keeps the client's).
 */
export function VoiceRecorder({ id }: { id: string }) {
  const [rec, setRec] = useState<Recording | null>(null);
  const [now, setNow] = useState(0);
  const [problem, setProblem] = useState<'micDenied' | 'micMissing' | null>(null);
  const current = useRef<Recording | null>(null);
  current.current = rec;

  useEffect(() => {
    if (!rec) return;
    const timer = setInterval(() => setNow(performance.now()), 250);
    return () => clearInterval(timer);
  }, [rec]);
  // Leaving the chat stops the microphone.
  useEffect(() => () => current.current && finish(current.current, false), []);

  async function start(): Promise<void> {
    setProblem(null);
    if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
      setProblem('micMissing');
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      setProblem(e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'SecurityError') ? 'micDenied' : 'micMissing');
      return;
    }
    const recorder = new MediaRecorder(stream, { mimeType: recorderType() });
    const r: Recording = { recorder, stream, started: performance.now(), chunks: [] };
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0) r.chunks.push(e.data);
    };
    recorder.start(250);
    setNow(r.started);
    setRec(r);
  }

  function finish(r: Recording, send: boolean): void {
    const duration = performance.now() - r.started;
    r.recorder.onstop = () => {
      r.stream.getTracks().forEach((track) => track.stop());
      if (!send || r.chunks.length === 0) return;
      const type = r.recorder.mimeType || 'audio/webm';
      const blob = new Blob(r.chunks, { type });
      const ext = type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm';
      attach(id, blob, `voice-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.${ext}`, 'voice', duration);
    };
    if (r.recorder.state !== 'inactive') r.recorder.stop();
    else r.recorder.onstop(new Event('stop'));
    setRec(null);
  }

  if (rec) {
    return (
      <div class="recorder" data-testid="recorder">
        <span class="rec-dot" aria-hidden="true" />
        <span role="timer" data-testid="recording-time">
          {t('recording', { time: formatDuration(now - rec.started) })}
        </span>
        <button type="button" class="small" data-testid="recording-cancel" onClick={() => finish(rec, false)}>
          {t('cancelRecording')}
        </button>
        <button type="button" class="small primary" data-testid="recording-send" onClick={() => finish(rec, true)}>
          {t('stopAndSend')}
        </button>
      </div>
    );
  }
  return (
    <>
      {problem && (
        <p class="recorder-problem" role="alert" data-testid="mic-problem">
          {t(problem)}
        </p>
      )}
      <button
        type="button"
        class="icon record"
        aria-label={t('record')}
        title={t('record')}
        data-testid="record-button"
        onPointerDown={(e) => {
          if (e.button !== 0 || current.current) return;
          const pressed = performance.now();
          // The button gives way to the recorder at once, so the release is heard on the window.
          const release = () => {
            window.removeEventListener('pointerup', release);
            window.removeEventListener('pointercancel', release);
            const r = current.current;
            if (r && performance.now() - pressed > HOLD_MS) finish(r, true);
          };
          window.addEventListener('pointerup', release);
          window.addEventListener('pointercancel', release);
          void start();
        }}
        onClick={(e) => {
          // A pointer press started it already; this is the keyboard's click (detail 0).
          if (e.detail === 0 && !current.current) void start();
        }}
      >
        <MicIcon />
      </button>
    </>
  );
}
