// Runs `task` now (or after the first pause) and then every `seconds` until stopped, never two at once;
// a failing run is reported and the next one still comes.
export function poll(seconds: number, task: () => Promise<void>, onError: (error: unknown) => void, startNow = true): () => void {
  let stopped = false;
  let timer: number | undefined;
  const run = async () => {
    try {
      await task();
    } catch (error) {
      if (!stopped) onError(error);
    }
    if (!stopped) timer = window.setTimeout(run, seconds * 1000);
  };
  if (startNow) void run();
  else timer = window.setTimeout(run, seconds * 1000);
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
