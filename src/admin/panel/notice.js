/** One line of feedback under the top bar (an action's outcome or an API error). */
let timer = null;

export function showNotice(text, isError = false) {
  const notice = document.getElementById('notice');
  if (!notice) return;
  notice.textContent = text;
  notice.classList.toggle('error', isError);
  notice.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => {
    notice.hidden = true;
  }, 6000);
}
