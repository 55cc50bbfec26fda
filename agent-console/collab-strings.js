// @ts-check
// Strings of the transfer, consult, participants and supervision controls
// (Chinese first, then English).

import { bookingPageMessages } from './bookings-strings.js';

/**
 * @param {Record<string, string>} table
 * @returns {Record<string, string>}
 */
function groupNames(table) {
  return Object.fromEntries(Object.entries(table).filter(([k]) => k.startsWith('group.')));
}

export const collabMessages = {
  zh: {
    ...groupNames(bookingPageMessages.zh),
    'group.backoffice': '后台审批',
    'collab.title': '协同',
    'collab.group': '转接到',
    'collab.transfer': '转接',
    'collab.consult': '咨询后台',
    'collab.merge': '三方通话',
    'collab.handover': '转交',
    'collab.cancel': '取消',
    'collab.consulted': '后台咨询：前台坐席正在向您咨询此办件',
    'collab.transferring': '正在转接到{group}…',
    'collab.transferring_any': '正在转接…',
    'collab.transfer_answered': '{to}已接听转接',
    'collab.transfer_returned': '无人接听，通话已回到您这里',
    'collab.consulting': '正在呼叫后台，居民在等候…',
    'collab.consult_joined': '后台已加入，居民在等候',
    'collab.merged': '三方通话中',
    'collab.handoverd': '已转交后台',
    'collab.canceld': '已取消咨询，居民已回到通话',
    'collab.no_agents': '该组现在没有在线的工作人员',
    'collab.failed': '操作未成功：{message}',
    'role.resident': '居民',
    'role.agent': '坐席',
    'role.consulted': '后台',
    'role.supervisor': '督导',
    'role.guest': '来宾',
    'role.interpreter': '翻译',
    'sv.mode': '当前：{mode}',
    'sv.mode.watch': '监看',
    'sv.mode.whisper': '耳语',
    'sv.mode.barge': '强插',
    'sv.mode.takeover': '接管',
    'sv.whisper': '耳语',
    'sv.barge': '强插',
    'sv.takeover': '接管',
    'sv.back_to_watch': '回到监看',
    'sv.supervise_failed': '操作未成功：{message}',
  },
  en: {
    ...groupNames(bookingPageMessages.en),
    'group.backoffice': 'Back office',
    'collab.title': 'Others on the call',
    'collab.group': 'Transfer to',
    'collab.transfer': 'Transfer',
    'collab.consult': 'Consult back office',
    'collab.merge': 'Three-way call',
    'collab.handover': 'Hand over',
    'collab.cancel': 'Cancel',
    'collab.consulted': 'Back-office consultation: a front agent is asking you about this case',
    'collab.transferring': 'Transferring to {group}…',
    'collab.transferring_any': 'Transferring…',
    'collab.transfer_answered': '{to} took the transfer',
    'collab.transfer_returned': 'Nobody answered; the call is back with you',
    'collab.consulting': 'Calling the back office; the resident is waiting…',
    'collab.consult_joined': 'The back office joined; the resident is waiting',
    'collab.merged': 'Three-way call',
    'collab.handoverd': 'Handed over to the back office',
    'collab.canceld': 'Consultation cancelled; the resident is back in the call',
    'collab.no_agents': 'Nobody of that group is online now',
    'collab.failed': 'That did not work: {message}',
    'role.resident': 'Resident',
    'role.agent': 'Agent',
    'role.consulted': 'Back office',
    'role.supervisor': 'Supervisor',
    'role.guest': 'Guest',
    'role.interpreter': 'Interpreter',
    'sv.mode': 'Now: {mode}',
    'sv.mode.watch': 'watching',
    'sv.mode.whisper': 'whispering',
    'sv.mode.barge': 'barged in',
    'sv.mode.takeover': 'taken over',
    'sv.whisper': 'Whisper',
    'sv.barge': 'Barge in',
    'sv.takeover': 'Take over',
    'sv.back_to_watch': 'Back to watching',
    'sv.supervise_failed': 'That did not work: {message}',
  },
};
