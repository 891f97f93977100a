import { byId } from './dom.js';
import { t } from './locale.js';

// Desktop notifications when the browser allows them (asked with a click: browsers refuse a
// permission prompt that no gesture started), else a short beep.

export interface Notifier {
  notify(title: string, tag: string): void;
}

function beep(): void {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    gain.gain.value = 0.1;
    tone.frequency.value = 880;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.15);
    tone.onended = () => void audio.close();
  } catch {
    // No audio device, or autoplay refused: the list's badge still shows it.
  }
}

export function createNotifier(): Notifier {
  const button = byId<HTMLButtonElement>('notify');
  const status = byId<HTMLElement>('notify-status');
  const supported = typeof Notification !== 'undefined';
  const show = (): void => {
    const permission = supported ? Notification.permission : 'denied';
    button.hidden = permission !== 'default';
    const key = permission === 'granted' ? 'notify.enabled' : permission === 'denied' ? 'notify.denied' : undefined;
    if (key) status.dataset.i18n = key;
    else delete status.dataset.i18n;
    status.textContent = key ? t(key) : '';
  };
  button.addEventListener('click', async () => {
    if (supported) await Notification.requestPermission();
    show();
  });
  show();
  return {
    notify(title, tag) {
      if (supported && Notification.permission === 'granted') new Notification(title, { tag });
      else beep();
    },
  };
}
