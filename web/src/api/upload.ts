// POST /files with upload progress: fetch cannot report how much of a body went out, so this
// one request is an XMLHttpRequest. Its query and answer are still the OpenAPI document's types.
import { ApiFailure, bearer } from './client';
import type { paths } from './schema';
import type { FileInfo } from './types';

type UploadQuery = NonNullable<paths['/files']['post']['parameters']['query']>;

export type Upload = { done: Promise<FileInfo>; abort: () => void };

/** Sends the raw bytes (not multipart); `progress` gets the bytes sent so far. */
export function uploadFile(query: UploadQuery, body: Blob, progress: (sent: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const auth = bearer();
  const done = new Promise<FileInfo>((resolve, reject) => {
    const params = new URLSearchParams({ kind: query.kind });
    if (query.name) params.set('name', query.name);
    xhr.open('POST', `/api/v1/files?${params}`);
    if (auth.header) xhr.setRequestHeader('Authorization', auth.header);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => progress(e.loaded);
    xhr.onload = () => {
      auth.onStatus(xhr.status);
      if (xhr.status === 201) {
        resolve(JSON.parse(xhr.responseText) as FileInfo);
        return;
      }
      let body: { code?: string; message?: string } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // OpenResty's own refusals (413 past its body limit) are HTML: the status says enough.
      }
      reject(new ApiFailure(xhr.status, body.code ?? `http_${xhr.status}`, body.message ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiFailure(0, 'network', 'network error'));
    xhr.onabort = () => reject(new ApiFailure(0, 'aborted', 'cancelled'));
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}
