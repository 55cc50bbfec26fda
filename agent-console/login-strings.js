// @ts-check
// The sign-in form's Chinese texts, the same on every agent-console page
// (the console, the recording review, the statistics). Each page keeps its
// own title for the form and its own English.

/** @type {Record<string, string>} */
export const loginZh = {
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.failed': '用户名或密码不正确。',
  'login.rate_limited': '尝试次数过多，请稍后再试。',
  'login.network': '无法连接服务器，请检查网络。',
};
