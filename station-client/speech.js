// @ts-check
// Spoken prompts for residents who read with difficulty: the queue
// position, 轮到您了 and the end of the call are said aloud where the
// browser has a Chinese voice. Without one the kiosk stays silent.

import { messages } from './strings.js';

// sayPrompt speaks the Chinese prompt key (speech.* in strings.js), with
// {name} placeholders filled from vars.
export function sayPrompt(key, vars = {}) {
  const text = (messages.zh[key] ?? '').replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  return speak(text);
}

export function speak(text) {
  const synth = window.speechSynthesis;
  if (!synth || !text) return false;
  let voices = [];
  try {
    voices = synth.getVoices();
  } catch {
    return false;
  }
  if (!voices.some((v) => /^zh([-_]|$)/i.test(v.lang))) return false;
  const u = new SpeechSynthesisUtterance(text);
  u.lang = 'zh-CN';
  u.rate = 0.9; // a little slower for older ears
  synth.cancel(); // a newer prompt replaces one still being said
  synth.speak(u);
  return true;
}
