"""The staff console's login page (server-rendered so a wrong password shows its message without script)."""
LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>员工登录 - 营业厅服务机器人</title><link rel="stylesheet" href="/staff/staff.css"></head>
<body class="login">
<form class="login-box" method="post" action="/staff/login" autocomplete="off">
  <h1>营业厅员工控制台</h1>
  <p class="error" id="login-error" role="alert">{{error}}</p>
  <label>工号 <input name="staff_id" id="staff_id" value="{{staff_id}}" required maxlength="32" placeholder="例如 S001"></label>
  <label>密码 <input name="password" id="password" type="password" required maxlength="256"></label>
  <button type="submit" id="login-button">登录</button>
</form>
</body></html>
"""
