import { describe, expect, it } from 'vitest';
import { fitBox, formatBytes, formatDuration, stillFresh, uploadedContent, uploadKindOf, uploadName, uploadProblem } from '../src/logic/media';

describe('media', () => {
  it('sends pictures the server decodes as images, anything else as a file', () => {
    expect(uploadKindOf('image/png')).toBe('image');
    expect(uploadKindOf('IMAGE/JPEG')).toBe('image');
    expect(uploadKindOf('image/svg+xml')).toBe('file');
    expect(uploadKindOf('')).toBe('file');
  });
  it('cleans the name query', () => {
    expect(uploadName('a\nb\u0000.txt')).toBe('ab.txt');
    expect(uploadName('  ')).toBe('file');
    expect(Array.from(uploadName('图'.repeat(300))).length).toBe(255);
  });
  it('names the upload in the send, with what this client knows of it', () => {
    const info = (kind: 'image' | 'voice' | 'file') => ({ file_id: 7, kind, mime: 'x/y', size_bytes: 10, sha256: '0'.repeat(64), name: 'n.bin' });
    expect(uploadedContent(info('image'), { width: 800, height: 600 })).toEqual({ type: 'image', file_id: 7, size_bytes: 10, mime: 'x/y', width: 800, height: 600 });
    expect(uploadedContent(info('image'))).toEqual({ type: 'image', file_id: 7, size_bytes: 10, mime: 'x/y' });
    expect(uploadedContent(info('file'))).toEqual({ type: 'file', file_id: 7, size_bytes: 10, mime: 'x/y', name: 'n.bin' });
    expect(uploadedContent(info('voice'), { durationMs: 1234.6 })).toMatchObject({ type: 'voice', duration_ms: 1235 });
    expect(uploadedContent(info('voice'), { durationMs: 9e9 })).toMatchObject({ duration_ms: 3_600_000 });
  });
  it('says why an upload was refused', () => {
    expect(uploadProblem(413, 'file_too_large')).toBe('uploadTooLarge');
    expect(uploadProblem(413, 'http_413')).toBe('uploadTooLarge');
    expect(uploadProblem(415, 'invalid_image')).toBe('uploadWrongType');
    expect(uploadProblem(429, 'quota_exceeded')).toBe('uploadQuota');
    expect(uploadProblem(429, 'rate_limited')).toBe('uploadTooFast');
    expect(uploadProblem(0, 'network')).toBe('uploadNetwork');
    expect(uploadProblem(400, 'bad_request')).toBe('uploadFailed');
  });
  it('writes sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(formatDuration(7_900)).toBe('0:07');
    expect(formatDuration(754_000)).toBe('12:34');
  });
  it('reserves a picture its box before it loads', () => {
    expect(fitBox(800, 600)).toEqual({ width: 240, height: 180 });
    expect(fitBox(300, 1200)).toEqual({ width: 60, height: 240 });
    expect(fitBox(100, 50)).toEqual({ width: 100, height: 50 });
    expect(fitBox(undefined, 0)).toEqual({ width: 240, height: 180 });
  });
  it('uses signed addresses until shortly before they expire', () => {
    expect(stillFresh({ url: 'u', expires_at_ms: 100_000 }, 60_000)).toBe(true);
    expect(stillFresh({ url: 'u', expires_at_ms: 100_000 }, 80_000)).toBe(false);
  });
});
