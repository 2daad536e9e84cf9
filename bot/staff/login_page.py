"""The staff console's login and password-change pages (server-rendered so a wrong password shows its
message without script). {{csrf}} is the session's CSRF token (the password page and logout)."""
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

PASSWORD_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>修改密码 - 营业厅服务机器人</title><link rel="stylesheet" href="/staff/staff.css"></head>
<body class="login">
<form class="login-box" method="post" action="/staff/password" autocomplete="off">
  <h1>请先修改初始密码</h1>
  <p>{{name}}（{{staff_id}}），初始密码不止您一人知道，修改后才能使用控制台。</p>
  <p class="error" id="password-error" role="alert">{{error}}</p>
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label>新密码 <input name="new_password" id="new_password" type="password" required minlength="8" maxlength="256"></label>
  <label>再输一次 <input name="confirm" id="confirm" type="password" required minlength="8" maxlength="256"></label>
  <button type="submit" id="password-button">修改密码</button>
</form>
<form method="post" action="/staff/logout"><input type="hidden" name="csrf" value="{{csrf}}">
  <button type="submit" id="logout">退出登录</button></form>
</body></html>
"""
