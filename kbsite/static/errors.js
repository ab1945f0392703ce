// Messages agents may see: the server's own (written for them) or ours; never a script's.
// A failed fetch ("Failed to fetch"), an HTML error page where JSON was expected ("Unexpected
// token '<'") or a bug ("Cannot read properties of null") is logged and replaced by a fallback.
"use strict";

export class UserError extends Error {}

// The JSON body of a response; a UserError with the server's message when it is not ok.
export async function readJSON(resp, fallback) {
  let data;
  try {
    data = await resp.json();
  } catch (e) {
    throw new UserError(resp.ok ? fallback : `${fallback}（服务器暂时无法处理，请稍后再试）`);
  }
  if (!resp.ok) throw new UserError(data.error || fallback);
  return data;
}

// What to show for an error caught around a request: its text when written for people.
export function messageOf(e, fallback) {
  if (e instanceof UserError) return e.message;
  if (e?.name !== "AbortError") console.error(e);
  return e?.name === "TypeError" && /fetch|network/i.test(e.message) ? `${fallback}：网络连接失败，请检查网络后重试` : fallback;
}
