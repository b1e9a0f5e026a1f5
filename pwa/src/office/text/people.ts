// The people screen's texts in both languages (the zh-CN object must name every English key).
const en = {
  title: 'People and devices',
}

export const peopleText: { en: typeof en; zh: typeof en } = {
  en,
  zh: {
    title: '人员与设备终端',
  },
}
