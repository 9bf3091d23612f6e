// Helpers for the browser test: the gateway's SSH commands, the browser, HTTP
// checks with deadlines, figures and screenshots. Settings come from the
// environment that tests/e2e/dashboard_browser.sh sets.
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests/e2e/dashboard_browser.sh`);
  return value;
};

const run = promisify(execFile);

// `ssh ... COMMAND` with one of the test's keys (SSH_ADMIN or SSH_STAGING: a full ssh command line).
export async function gatewaySsh(which, command) {
  const [program, ...args] = env(which).split(' ');
  const { stdout } = await run(program, [...args, command], { timeout: 30_000 });
  return stdout;
}

// A fresh one-use login link from `ssh ... dashboard`.
export async function loginLink(which) {
  const out = await gatewaySsh(which, 'dashboard');
  const found = /Open (http:\/\/\S+\/login\/[0-9a-f]+) within \d+ s \(one use\)/.exec(out);
  if (!found) throw new Error(`'ssh ... dashboard' printed no login link: ${out}`);
  return found[1];
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: env('CHROMIUM'), headless: true });
}

export const laptop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

// Polls `check` (an async function returning a truthy value) every 200 ms until it does, or fails after `seconds`.
export async function eventually(what, seconds, check) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up after ${seconds} s waiting for ${what} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// The body of a GET to the app, trimmed ("" when it does not answer 200).
// APP_URL names ENV.APP.localhost, which Node does not resolve (curl does):
// the request goes to 127.0.0.1 with that name as its Host.
export function appAnswer(path) {
  const url = new URL(env('APP_URL'));
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: url.port, path, headers: { Host: url.host }, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 ? body.trim() : ''));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path} took over 5 s`)));
    request.on('error', reject);
  });
}

// Resolves with `promise`, or fails after `seconds` (the timer does not outlive it).
export async function within(seconds, what, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function figure(text) {
  console.log(`FIGURE ${text}`);
  appendFileSync(env('FIGURES_FILE'), text + '\n');
}

export async function screenshot(page, name) {
  const dir = env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

// `git push porter main` in the background; resolves with its exit code and output.
export function pushInBackground() {
  const child = spawn('git', ['-C', env('REPO_DIR'), 'push', 'porter', 'main'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
  return { child, done, running: () => child.exitCode === null && child.signalCode === null };
}
