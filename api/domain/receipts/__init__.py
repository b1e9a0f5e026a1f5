"""Return-for-repair receipts (客户产品返修收据) and their in/out register (客户产品进出登记)."""
