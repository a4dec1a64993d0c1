import { lang, setLang, t } from '../i18n';
import type { Lang } from '../i18n/dict';

export function LangSwitch() {
  return (
    <label class="lang">
      <span class="visually-hidden">{t('language')}</span>
      <select data-testid="lang-select" value={lang.value} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
        <option value="en">English</option>
        <option value="zh">中文</option>
      </select>
    </label>
  );
}
