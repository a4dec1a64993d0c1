import { useState } from 'preact/hooks';
import { report } from '../state/app';

/** Runs an async action from a button: disables it meanwhile and reports a failure. */
export function useAction(): [boolean, (action: () => Promise<void>) => void] {
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    action()
      .catch(report)
      .finally(() => setBusy(false));
  };
  return [busy, run];
}
