// @ts-check
// The kiosk app's version: reported to the center in each heartbeat and
// shown on the helper's self-check screen. Raise it with each release.
export const appVersion = '2026.12.2';
