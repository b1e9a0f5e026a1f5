// The customers screen's texts in both languages (the zh-CN object must name every English key).
const en = {
  title: 'Customers and equipment',
}

export const customersText: { en: typeof en; zh: typeof en } = {
  en,
  zh: {
    title: '客户与设备',
  },
}
