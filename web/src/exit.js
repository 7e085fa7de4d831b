// Quick exit and the language switcher on every page, without the sealing code: both replace
// the page in the tab's history instead of adding an entry. Built into static/exit.js, and
// part of static/confide.js.

let left = false;

/** Whether the reporter pressed quick exit (nothing may then hold the page, not even a question). */
export const leaving = () => left;

export function leaveQuietly() {
  const exit = document.getElementById("quick-exit");
  exit?.addEventListener("click", (event) => {
    event.preventDefault();
    left = true;
    document.body.textContent = "";
    location.replace(exit.href);
  });
  for (const link of document.querySelectorAll(".langs a")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      location.replace(link.href);
    });
  }
}
