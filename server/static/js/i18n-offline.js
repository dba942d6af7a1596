// The one label a page needs when the server cannot be reached, so it can say so in both
// languages. Every other label comes from the server's bundle (GET /api/i18n/{lang}).

export const OFFLINE_MESSAGES = {
  en: { "ui.error.network": "The server could not be reached. Try again." },
  zh_cn: { "ui.error.network": "无法连接服务器，请重试。" },
};
