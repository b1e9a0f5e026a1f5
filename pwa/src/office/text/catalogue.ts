// The catalogue screen's texts in both languages (the zh-CN object must name every English key).
const en = {
  title: 'Parts catalogue and stock',
}

export const catalogueText: { en: typeof en; zh: typeof en } = {
  en,
  zh: {
    title: '备件目录与库存',
  },
}
