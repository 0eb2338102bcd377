// The playground page: the server's channels, its members (act as any of them), the messages of
// the open channel kept live by the emulator's push channel, and the composer.

import { api } from "./api.js";
import { LOCALES } from "./commands.js";
import { Composer } from "./composer.js";
import { avatar, displayName, h } from "./dom.js";
import { formatTimestamp } from "./markdown.js";
import { openModal } from "./modal.js";
import { isVisibleTo, renderMessage } from "./render.js";

const MANAGE_GUILD = 1n << 5n;
const ADMINISTRATOR = 1n << 3n;
const MODAL = 9;
// Discord gives the bot 3 s to acknowledge; a little more covers the trip to the page.
const ACK_WAIT_MS = 3500;

function byId(a, b) {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
}

class App {
  constructor() {
    this.world = null;
    this.guild = null;
    this.me = null;
    this.channelId = null;
    this.commands = [];
    this.messages = new Map();
    this.dismissed = new Set();
    this.interactions = new Map(); // id -> last pushed state
    this.waiters = new Map(); // interaction id -> resolve
    this.pressed = new Map(); // "message id|custom id" -> "pending" | "failed"
    this.status = new Map(); // message id -> text under it
    this.frame = null;
    this.list = document.getElementById("messages");
    // Follow new messages while the reader is at the bottom, as Discord does; not once they
    // scrolled up to read something older.
    this.stick = true;
    this.list.addEventListener("scroll", () => {
      const list = this.list;
      this.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    });
    const follow = () => {
      if (this.stick) this.list.scrollTop = this.list.scrollHeight;
    };
    // Media grow the list when they load; load events do not bubble, so listen while capturing.
    this.list.addEventListener("load", follow, true);
    this.list.addEventListener("loadedmetadata", follow, true);
    this.composer = new Composer(document.getElementById("composer"), this);
  }

  // -- the world ------------------------------------------------------------------------

  members() {
    return this.guild ? this.guild.members : [];
  }

  people() {
    return this.members().map((m) => m.user);
  }

  roles() {
    return this.guild ? this.guild.roles : [];
  }

  channels(all = false) {
    const channels = this.guild ? this.guild.channels : [];
    return all ? channels : channels.filter((c) => c.type === 0);
  }

  channelName(id) {
    const channel = this.channels(true).find((c) => c.id === id);
    return channel ? channel.name : "unknown";
  }

  userName(id) {
    const user = this.world && this.world.users.find((u) => u.id === id);
    return user ? displayName(user) : "unknown-user";
  }

  meMember() {
    return this.members().find((m) => m.user.id === this.me);
  }

  // The language of the acting member's client (the world keeps one per user).
  myLocale() {
    const user = this.world && this.world.users.find((u) => u.id === this.me);
    return (user && user.locale) || "en-US";
  }

  async setLocale(locale) {
    const member = this.meMember();
    if (!member) return;
    await api.patch(`/world/users/${member.user.id}`, { locale });
    const user = this.world.users.find((u) => u.id === member.user.id);
    if (user) user.locale = locale;
    this.renderSidebar();
    this.composer.refresh();
  }

  renderLocaleSwitch() {
    const select = document.getElementById("locale-switch");
    if (!select) return;
    const current = this.myLocale();
    const known = LOCALES.some((l) => l.code === current);
    const choices = known ? LOCALES : [...LOCALES, { code: current, label: current }];
    select.replaceChildren(
      ...choices.map((l) => h("option", { value: l.code }, l.label)),
    );
    select.value = current;
    select.dataset.username = this.meMember() ? this.meMember().user.username : "";
    if (!select.dataset.bound) {
      select.dataset.bound = "1";
      select.addEventListener("change", () => this.setLocale(select.value));
    }
  }

  isOwner() {
    return this.guild && this.guild.owner_id === this.me;
  }

  markdownContext() {
    return {
      me: this.me,
      userName: (id) => this.userName(id),
      roleName: (id) => (this.roles().find((r) => r.id === id) || { name: "deleted-role" }).name,
      channelName: (id) => this.channelName(id),
    };
  }

  async loadWorld() {
    this.world = await api.get("/world");
    this.guild = this.world.guilds[0];
    const humans = this.members().filter((m) => !m.user.bot);
    if (!humans.some((m) => m.user.id === this.me)) {
      const wanted =
        new URLSearchParams(location.search).get("as") || localStorage.getItem("playground-as") || "alice";
      const chosen = humans.find((m) => m.user.username === wanted || m.user.id === wanted);
      this.me = (chosen || humans[0]).user.id;
    }
    if (!this.channelId || !this.channels().some((c) => c.id === this.channelId)) {
      const general = this.channels().find((c) => c.name === "general");
      this.channelId = (general || this.channels()[0]).id;
    }
    document.getElementById("guild-name").textContent = this.guild.name;
    document.getElementById("guild-icon").textContent = this.guild.name
      .split(/\s+/)
      .map((w) => w[0])
      .join("")
      .slice(0, 3);
    this.renderSidebar();
  }

  async loadCommands() {
    const all = await api.get("/commands");
    this.commands = [...all.global, ...((this.guild && all.guilds[this.guild.id]) || [])];
    this.composer.refresh();
  }

  async loadMessages() {
    const fresh = new Map();
    for (const channel of this.channels()) {
      for (const message of await api.get(`/channels/${channel.id}/messages`)) {
        delete message.edits;
        fresh.set(message.id, message);
      }
    }
    this.messages = fresh;
    this.schedule();
  }

  // -- the sidebar ----------------------------------------------------------------------

  renderSidebar() {
    const channelList = document.getElementById("channel-list");
    channelList.replaceChildren(
      ...this.channels().map((channel) => {
        const item = h(
          "button",
          {
            class: channel.id === this.channelId ? "channel active" : "channel",
            "data-channel": channel.name,
            type: "button",
          },
          h("span", { class: "hash" }, "#"),
          channel.name,
        );
        item.addEventListener("click", () => this.openChannel(channel.id));
        return item;
      }),
    );
    const memberList = document.getElementById("member-list");
    memberList.replaceChildren(
      ...this.members()
        .filter((m) => !m.user.bot)
        .map((member) => {
          const permissions = BigInt(member.permissions || "0");
          const owner = this.guild.owner_id === member.user.id;
          const manage = owner || Boolean(permissions & (MANAGE_GUILD | ADMINISTRATOR));
          const roles = member.roles
            .map((id) => this.roles().find((r) => r.id === id))
            .filter((r) => r && !r.managed && r.name !== "@everyone");
          const item = h(
            "button",
            {
              class: member.user.id === this.me ? "member active" : "member",
              "data-username": member.user.username,
              type: "button",
              title: `Act as ${displayName(member.user)}`,
              "aria-pressed": member.user.id === this.me ? "true" : "false",
            },
            avatar(member.user, "small"),
            h(
              "span",
              { class: "member-text" },
              h("span", { class: "member-name" }, displayName(member.user), owner ? h("span", { class: "crown", title: "Server owner" }, " 👑") : null),
              h(
                "span",
                { class: "member-badges" },
                roles.map((r) => h("span", { class: "role-chip" }, r.name)),
                manage ? h("span", { class: "perm-chip", title: "Has the Manage Server permission" }, "Manage Server") : null,
              ),
            ),
          );
          item.addEventListener("click", () => this.actAs(member.user.id));
          return item;
        }),
    );
    const me = this.meMember();
    this.renderLocaleSwitch();
    document.getElementById("acting-as").textContent = me ? displayName(me.user) : "";
    document.getElementById("acting-as-header").textContent = me ? `as ${displayName(me.user)}` : "";
    document.getElementById("channel-title").textContent = this.channelName(this.channelId);
  }

  actAs(userId) {
    this.me = userId;
    const member = this.meMember();
    localStorage.setItem("playground-as", member.user.username);
    this.renderSidebar();
    this.composer.refresh();
    this.schedule();
  }

  openChannel(channelId) {
    this.channelId = channelId;
    this.renderSidebar();
    this.composer.refresh();
    this.schedule(true);
    document.body.classList.remove("show-sidebar");
  }

  // -- messages -------------------------------------------------------------------------

  schedule(toBottom = false) {
    this.forceBottom = this.forceBottom || toBottom;
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.renderMessages();
    });
  }

  visibleMessages() {
    return [...this.messages.values()]
      .filter((m) => m.channel_id === this.channelId && isVisibleTo(m, this.me) && !this.dismissed.has(m.id))
      .sort(byId);
  }

  renderContext() {
    return {
      ...this.markdownContext(),
      onButton: (message, component) => this.press(message, component, []),
      onSelect: (message, component, values) => this.press(message, component, values),
      onDismiss: (message) => {
        this.dismissed.add(message.id);
        this.schedule();
      },
      jumpTo: (id) => {
        const target = document.getElementById("message-" + id);
        if (target) target.scrollIntoView({ behavior: "smooth", block: "center" });
      },
      people: () => this.people(),
      roles: () => this.roles(),
      channels: () => this.channels(true),
    };
  }

  // Everything a message's element depends on; an element is rebuilt only when this changes,
  // so the rest of the list (a playing video, an open select) is left alone.
  renderKey(message, previous) {
    const pressed = [...this.pressed.keys()].filter((k) => k.startsWith(message.id + "|"));
    return JSON.stringify([
      this.me,
      previous && previous.id,
      previous && previous.author.id,
      pressed,
      this.status.get(message.id) || "",
      message,
    ]);
  }

  buildMessage(message, previous, context, old) {
    const element = renderMessage(message, context, previous);
    for (const key of this.pressed.keys()) {
      const [messageId, customId] = key.split("|");
      if (messageId !== message.id) continue;
      const button = element.querySelector(`[data-custom-id="${CSS.escape(customId)}"]`);
      if (button) button.classList.add("pending");
    }
    const status = this.status.get(message.id);
    if (status) element.querySelector(".interaction-status").textContent = status;
    // An edit must not restart a video that is playing (or reload an image).
    const kept = new Map();
    for (const node of old ? old.querySelectorAll("video, img") : []) {
      kept.set(node.tagName + " " + node.getAttribute("src"), node);
    }
    for (const node of element.querySelectorAll("video, img")) {
      const key = node.tagName + " " + node.getAttribute("src");
      const previousNode = kept.get(key);
      if (previousNode) {
        previousNode.className = node.className;
        node.replaceWith(previousNode);
        kept.delete(key);
      }
    }
    return element;
  }

  renderMessages() {
    const list = this.list;
    const atBottom = this.forceBottom || this.stick;
    const scrolled = list.scrollTop;
    this.forceBottom = false;
    this.rendered = this.rendered || new Map(); // message id -> {key, element}
    const context = this.renderContext();
    const wanted = [];
    const seen = new Set();
    let previous = null;
    for (const message of this.visibleMessages()) {
      const key = this.renderKey(message, previous);
      const cached = this.rendered.get(message.id);
      let element = cached && cached.element;
      if (!cached || cached.key !== key) {
        element = this.buildMessage(message, previous, context, element);
        this.rendered.set(message.id, { key, element });
      }
      wanted.push(element);
      seen.add(message.id);
      previous = message;
    }
    for (const id of [...this.rendered.keys()]) if (!seen.has(id)) this.rendered.delete(id);
    if (!wanted.length) {
      this.welcome =
        this.welcome && this.welcome.dataset.channel === this.channelId
          ? this.welcome
          : h(
              "div",
              { class: "channel-start", "data-channel": this.channelId },
              h("div", { class: "channel-start-icon" }, "#"),
              h("h2", {}, `Welcome to #${this.channelName(this.channelId)}!`),
              h("p", {}, "Type / in the box below to see what Pika can do. Switch members on the left to act as someone else."),
            );
      wanted.push(this.welcome);
    }
    // Move only what is out of place: untouched elements stay attached.
    const keep = new Set(wanted);
    for (const child of [...list.children]) if (!keep.has(child)) child.remove();
    let cursor = list.firstElementChild;
    for (const element of wanted) {
      if (element === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        list.insertBefore(element, cursor);
      }
    }
    list.scrollTop = atBottom ? list.scrollHeight : scrolled;
  }

  onMessage(message) {
    // The page shows the message as it is now; its edit history would only cost memory.
    delete message.edits;
    this.messages.set(message.id, message);
    if (message.channel_id === this.channelId) this.schedule();
  }

  onDelete(data) {
    if (this.messages.delete(data.id)) this.schedule();
  }

  // -- interactions ---------------------------------------------------------------------

  async press(message, component, values) {
    const key = `${message.id}|${component.custom_id}`;
    this.status.delete(message.id);
    this.pressed.set(key, "pending");
    this.schedule();
    try {
      const answer = await api.post("/click", {
        user: this.me,
        message_id: message.id,
        custom_id: component.custom_id,
        values: values.length ? values : undefined,
      });
      await this.track(answer.interaction_id, { where: "message", messageId: message.id });
    } catch (failure) {
      this.status.set(message.id, failure.message);
    } finally {
      this.pressed.delete(key);
      this.schedule();
    }
  }

  onInteraction(data) {
    this.interactions.set(data.id, data);
    if (data.acknowledged || data.errors) {
      const resolve = this.waiters.get(data.id);
      if (resolve) resolve();
    }
  }

  // Wait until the bot acknowledged an interaction (or Discord's deadline passed); open its
  // modal, or say that it failed, as Discord's client does.
  async track(interactionId, { where, messageId } = {}) {
    if (where === "composer") this.schedule(true);
    const known = this.interactions.get(interactionId);
    if (!known || !known.acknowledged) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, ACK_WAIT_MS);
        this.waiters.set(interactionId, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters.delete(interactionId);
    }
    const interaction = await api.get(`/interactions/${interactionId}`);
    if (interaction.response_type === MODAL && interaction.modal && interaction.user_id === this.me) {
      openModal(this, interaction);
      return interaction;
    }
    if (!interaction.acknowledged) {
      const text = where === "message" ? "This interaction failed" : "The application did not respond";
      if (messageId) {
        this.status.set(messageId, text);
        this.schedule();
      } else {
        this.composer.say(text, true);
      }
    }
    return interaction;
  }

  // -- the push channel -----------------------------------------------------------------

  connect() {
    const live = document.getElementById("live");
    const source = new EventSource("/_emulator/events");
    source.addEventListener("hello", async () => {
      live.textContent = "live";
      live.className = "live on";
      document.body.dataset.live = "1";
      try {
        await this.loadWorld();
        await this.loadCommands();
        await this.loadMessages();
        document.body.dataset.ready = "1";
      } catch (failure) {
        this.composer.say(`Could not load the server: ${failure.message}`, true);
      }
    });
    const json = (handler) => (event) => handler(JSON.parse(event.data));
    source.addEventListener("message_create", json((m) => this.onMessage(m)));
    source.addEventListener("message_update", json((m) => this.onMessage(m)));
    source.addEventListener("message_delete", json((m) => this.onDelete(m)));
    source.addEventListener("interaction", json((i) => this.onInteraction(i)));
    source.addEventListener("commands", () => this.loadCommands());
    source.addEventListener("world", async () => {
      await this.loadWorld();
      this.rendered = new Map(); // names and roles may have changed
      this.composer.refresh();
      this.schedule();
    });
    source.addEventListener("error", () => {
      live.textContent = "reconnecting…";
      live.className = "live off";
      document.body.dataset.live = "0";
    });
  }
}

function refreshRelativeTimes() {
  for (const node of document.querySelectorAll('time.ts[data-style="R"]')) {
    node.textContent = formatTimestamp(Number(node.dataset.ts), "R");
  }
}

const app = new App();
window.playground = app;
app.connect();
setInterval(refreshRelativeTimes, 15000);
document.getElementById("toggle-sidebar").addEventListener("click", () => document.body.classList.toggle("show-sidebar"));
